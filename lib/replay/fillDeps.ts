/**
 * The fill's dependencies, from the same settings the consumer has: built once per container (on
 * the first fill: a drain needs no database) and kept, so a warm function opens no new sockets.
 */
import type { ClientOverrides } from '../aws/clients';
import { createKinesisClient } from '../aws/kinesisClient';
import { createSqsClient } from '../aws/sqsClient';
import { integer, optionalString, readAwsConfig, requiredString, type Env } from '../config';
import { readDatabaseConfig } from '../db/config';
import { createDatabaseConnection } from '../db/createConnection';
import type { DatabaseConnection } from '../db/connection';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../dlq/recordMessage';
import { streamResolver } from '../kinesis/streamRef';
import type { Observability } from '../lambda/observability';
import type { FillDeps, FillOptions } from './fillFromCheckpoints';

export interface FillSetup {
  deps: FillDeps;
  /** The stream to read, as the consumer's checkpoints name it. */
  target: Pick<FillOptions, 'stream' | 'streamArn'>;
  db: DatabaseConnection;
}

/**
 * @throws ConfigError when TELEMETRY_STREAM_ARN, DLQ_URL or the database settings are missing.
 * @example
 * const fill = fillSetup(process.env, {}, observability);
 * await fillFromCheckpoints(fill.deps, { ...fill.target, deadline });
 */
export function fillSetup(env: Env, clients: ClientOverrides, observability: Observability): FillSetup {
  const aws = readAwsConfig(env);
  const streamArn = requiredString(env, 'TELEMETRY_STREAM_ARN');
  const stream = streamResolver(aws)(streamArn);
  const db = createDatabaseConnection(readDatabaseConfig(env), aws, 'telemetry-fill');
  return {
    db,
    target: { stream: stream.ref, streamArn },
    deps: {
      kinesis: createKinesisClient(aws, stream.clientRegion, clients),
      observability,
      consumer: {
        db,
        sqs: createSqsClient(aws, clients),
        dlqUrl: requiredString(env, 'DLQ_URL'),
        maxMessageBytes: integer(env, 'DLQ_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1_024, 1_048_576),
        functionName: optionalString(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'fill',
      },
    },
  };
}
