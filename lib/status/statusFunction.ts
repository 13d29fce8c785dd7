/** The status function (`GET /telemetry/{eventId}`) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDatabaseConnection } from '../db/createConnection';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readStatusConfig } from './config';
import { handleStatus, type StatusDeps } from './handleStatus';

export const statusFunction: FunctionDefinition<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, StatusDeps> =
  {
    service: 'status',
    build: (env, _clients, observability) => {
      const config = readStatusConfig(env);
      // The connection is made on first use and re-made after it breaks (lib/db/connection.ts).
      return {
        ...observability,
        apiKeyHashes: config.apiKeyHashes,
        db: createDatabaseConnection(config.database, config.aws, 'telemetry-status'),
      };
    },
    handle: (event, _context, deps) => handleStatus(event, deps),
  };
