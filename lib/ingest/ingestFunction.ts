/** The ingest function (`POST /telemetry`) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createKinesisClient } from '../aws/kinesisClient';
import { readAwsConfig } from '../config';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readIngestConfig } from './config';
import { ingestDeadline } from './deadline';
import { handleIngest, type IngestDeps } from './handleIngest';

export const ingestFunction: FunctionDefinition<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, IngestDeps> =
  {
    service: 'ingest',
    build: (env, clients, observability) => ({
      ...observability,
      config: readIngestConfig(env),
      kinesis: createKinesisClient(readAwsConfig(env), undefined, clients),
    }),
    handle: (event, context, deps) => handleIngest(event, ingestDeadline(context.getRemainingTimeInMillis()), deps),
  };
