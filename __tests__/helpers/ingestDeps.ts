/** The ingest function's dependencies for tests: a real Kinesis client, quiet observability, given keys. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { hashApiKey } from '../../lib/auth/apiKey';
import type { IngestConfig } from '../../lib/ingest/config';
import type { IngestDeps } from '../../lib/ingest/handleIngest';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/ingest/limits';
import { createObservability } from '../../lib/lambda/observability';

export interface IngestDepsOptions {
  /** Accepted API keys (stored as their SHA-256, as configured in production). */
  apiKeys: readonly string[];
  config?: Partial<IngestConfig>;
  putOptions?: IngestDeps['putOptions'];
}

export function ingestDeps(kinesis: KinesisClient, streamName: string, options: IngestDepsOptions): IngestDeps {
  return {
    ...createObservability('ingest-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
    kinesis,
    config: {
      stream: { streamName },
      apiKeyHashes: options.apiKeys.map((key) => Buffer.from(hashApiKey(key), 'hex')),
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxEventsPerRequest: 10_000,
      ...options.config,
    },
    ...(options.putOptions ? { putOptions: options.putOptions } : {}),
  };
}
