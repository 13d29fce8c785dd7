/** The status function (the read API: `GET /telemetry/...`) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createKeyStore } from '../auth/createKeyStore';
import { createSecretsManagerClient } from '../aws/secretsClient';
import { createSsmClient } from '../aws/ssmClient';
import { createDatabaseConnection } from '../db/createConnection';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readStatusConfig } from './config';
import { cursorSecretLoader } from './cursorSecret';
import { handleStatus, type StatusDeps } from './handleStatus';

export const statusFunction: FunctionDefinition<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, StatusDeps> =
  {
    service: 'status',
    build: (env, clients, observability) => {
      const config = readStatusConfig(env);
      // The connection is made on first use and re-made after it breaks (lib/db/connection.ts).
      return {
        ...observability,
        keys: createKeyStore(config.keys, createSsmClient(config.aws, clients), observability.logger),
        cursorSecret: cursorSecretLoader(config.cursorSecret, () => createSecretsManagerClient(config.aws)),
        db: createDatabaseConnection(config.database, config.aws, 'telemetry-status'),
      };
    },
    handle: (event, _context, deps) => handleStatus(event, deps),
  };
