/**
 * The fill's dependencies, from the same settings the consumer has: built once per container (on
 * the first fill: a drain needs no database) and kept, so a warm function opens no new sockets.
 */
import type { ClientOverrides } from '../aws/clients';
import { createKinesisClient } from '../aws/kinesisClient';
import { requiredString, type Env } from '../config';
import { readConsumerConfig } from '../consumer/config';
import { consumerDeps } from '../consumer/consumerDeps';
import type { DatabaseConnection } from '../db/connection';
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
  const config = readConsumerConfig(env, 'fill');
  const streamArn = requiredString(env, 'TELEMETRY_STREAM_ARN');
  const stream = streamResolver(config.aws)(streamArn);
  const consumer = consumerDeps(config, clients);
  return {
    db: consumer.db,
    target: { stream: stream.ref, streamArn },
    deps: { kinesis: createKinesisClient(config.aws, stream.clientRegion, clients), observability, consumer },
  };
}
