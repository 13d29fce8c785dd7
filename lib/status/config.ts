/**
 * The status function's configuration, read once per container; ConfigError when anything needed is
 * missing (fail closed). The database settings are the shared ones (lib/db/config.ts): a plain
 * DATABASE_URL locally, a Secrets Manager secret on deployed stages.
 */
import { readKeyStoreConfig, type KeyStoreConfig } from '../auth/config';
import { readAwsConfig, type AwsConfig, type Env } from '../config';
import { readDatabaseConfig, type DatabaseConfig } from '../db/config';
import { readCursorSecretSource, type CursorSecretSource } from './cursorSecret';

export interface StatusConfig {
  aws: AwsConfig;
  database: DatabaseConfig;
  keys: KeyStoreConfig;
  cursorSecret: CursorSecretSource;
}

/**
 * @example
 * const config = readStatusConfig(process.env);
 */
export function readStatusConfig(env: Env): StatusConfig {
  return {
    aws: readAwsConfig(env),
    database: readDatabaseConfig(env),
    keys: readKeyStoreConfig(env),
    cursorSecret: readCursorSecretSource(env),
  };
}
