/**
 * Ingest's configuration, read once per container. Anything missing or malformed is a ConfigError
 * on the first invocation (fail closed), naming the variable.
 */
import { readKeyStoreConfig, type KeyStoreConfig } from '../auth/config';
import { integer, optionalString, type Env } from '../config';
import { ConfigError } from '../errors';
import { DEFAULT_PUT_CONCURRENCY } from '../kinesis/putConcurrently';
import type { StreamRef } from '../kinesis/putRecords';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENTS_PER_REQUEST, MAX_MAX_BODY_BYTES } from './limits';

export interface IngestConfig {
  stream: StreamRef;
  /** Where the API keys are read from, and how often. */
  keys: KeyStoreConfig;
  /** Most bytes taken, as received and after decompression. */
  maxBodyBytes: number;
  maxEventsPerRequest: number;
  /** Most PutRecords calls in flight for a request that needs more than one (`PUT_CONCURRENCY`). */
  putConcurrency: number;
}

/**
 * @example
 * const config = readIngestConfig(process.env);
 */
export function readIngestConfig(env: Env): IngestConfig {
  // The name when there is one: it is this account's stream, and kinesalite knows no StreamARN parameter.
  const streamName = optionalString(env, 'TELEMETRY_STREAM_NAME');
  const streamArn = optionalString(env, 'TELEMETRY_STREAM_ARN');
  if (!streamName && !streamArn)
    throw new ConfigError('TELEMETRY_STREAM_NAME (or TELEMETRY_STREAM_ARN) is required but is not set');
  return {
    stream: streamName ? { streamName } : { streamArn: streamArn as string },
    keys: readKeyStoreConfig(env),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1, MAX_MAX_BODY_BYTES),
    maxEventsPerRequest: integer(env, 'MAX_EVENTS_PER_REQUEST', DEFAULT_MAX_EVENTS_PER_REQUEST, 1, 100_000),
    putConcurrency: integer(env, 'PUT_CONCURRENCY', DEFAULT_PUT_CONCURRENCY, 1, 64),
  };
}
