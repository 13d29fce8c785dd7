/** The key store as ingest and status build it at cold start (lib/auth/keyStore.ts over SSM). */
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KeyStoreConfig } from './config';
import { KeyStore } from './keyStore';
import { loadKeyRecords } from './ssmKeys';

/**
 * @example
 * const keys = createKeyStore(readKeyStoreConfig(env), createSsmClient(aws, clients), logger);
 */
export function createKeyStore(config: KeyStoreConfig, ssm: SSMClient, logger: Logger): KeyStore {
  return new KeyStore(() => loadKeyRecords(ssm, config.path, logger), config, logger);
}
