/** The ingest function's dependencies for tests: a real Kinesis client, quiet observability, given keys (lib/auth/keyStore.ts). */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { IngestConfig } from '../../lib/ingest/config';
import type { IngestDeps } from '../../lib/ingest/handleIngest';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/ingest/limits';
import { createObservability } from '../../lib/lambda/observability';
import { type TestKey, testKeyStore } from './keys';

export interface IngestDepsOptions {
  /** Accepted API keys: plain strings are the `test` tenant's. */
  apiKeys: readonly (string | TestKey)[];
  config?: Partial<IngestConfig>;
  putOptions?: IngestDeps['putOptions'];
}

/** The tenant of the keys given as plain strings. */
export const TEST_TENANT = 'test';

export function ingestDeps(kinesis: KinesisClient, streamName: string, options: IngestDepsOptions): IngestDeps {
  return {
    ...createObservability('ingest-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
    kinesis,
    keys: testKeyStore(options.apiKeys.map((key) => (typeof key === 'string' ? { key, tenant: TEST_TENANT } : key))),
    config: {
      stream: { streamName },
      keys: { path: '/test/api-keys/', refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 },
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxEventsPerRequest: 10_000,
      putConcurrency: 8,
      ...options.config,
    },
    ...(options.putOptions ? { putOptions: options.putOptions } : {}),
  };
}
