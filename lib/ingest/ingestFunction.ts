/**
 * The ingest function in the one handler shape (lib/lambda/lambdaHandler.ts): `POST /telemetry`
 * (lib/ingest/handleIngest.ts) and the OTLP/HTTP routes `POST /v1/{traces,logs,metrics}`
 * (lib/otlp/handleOtlp.ts), which share its configuration, its limits and its write path.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createKeyStore } from '../auth/createKeyStore';
import { createKinesisClient } from '../aws/kinesisClient';
import { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { createSsmClient } from '../aws/ssmClient';
import { readAwsConfig } from '../config';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readIngestConfig } from './config';
import { ingestDeadline } from './deadline';
import { handleOtlp, otlpSignal } from '../otlp/handleOtlp';
import { handleIngest, type IngestDeps } from './handleIngest';

export const ingestFunction: FunctionDefinition<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, IngestDeps> =
  {
    service: 'ingest',
    build: (env, clients, observability) => {
      const config = readIngestConfig(env);
      const aws = readAwsConfig(env);
      return {
        ...observability,
        config,
        keys: createKeyStore(config.keys, createSsmClient(aws, clients), observability.logger),
        putLimit: new AdaptiveLimit(config.putConcurrency),
        kinesis: createKinesisClient(aws, undefined, clients),
      };
    },
    handle: (event, context, deps) => {
      const deadline = ingestDeadline(context.getRemainingTimeInMillis());
      const signal = otlpSignal(event);
      return signal ? handleOtlp(event, signal, deadline, deps) : handleIngest(event, deadline, deps);
    },
  };
