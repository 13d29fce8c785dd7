/**
 * The status function's configuration, read once per container; ConfigError when anything needed is
 * missing (fail closed). The database settings are the shared ones (lib/db/config.ts): a plain
 * DATABASE_URL locally, a Secrets Manager secret on deployed stages.
 */
import { readApiKeyHashes } from '../auth/apiKeyHashes';
import { readAwsConfig, type AwsConfig, type Env } from '../config';
import { readDatabaseConfig, type DatabaseConfig } from '../db/config';

export interface StatusConfig {
  aws: AwsConfig;
  database: DatabaseConfig;
  apiKeyHashes: Buffer[];
}

/**
 * @example
 * const config = readStatusConfig(process.env);
 */
export function readStatusConfig(env: Env): StatusConfig {
  return { aws: readAwsConfig(env), database: readDatabaseConfig(env), apiKeyHashes: readApiKeyHashes(env) };
}
