/**
 * The one way a function gets its database connection: with a Secrets Manager client only when the
 * configuration names a secret (deployed stages), none locally.
 */
import { createSecretsManagerClient } from '../aws/secretsClient';
import type { AwsConfig } from '../config';
import type { DatabaseConfig } from './config';
import { DatabaseConnection } from './connection';

/**
 * @example
 * const db = createDatabaseConnection(readDatabaseConfig(process.env), readAwsConfig(process.env), 'telemetry-consumer');
 */
export function createDatabaseConnection(
  database: DatabaseConfig,
  aws: AwsConfig,
  applicationName: string,
): DatabaseConnection {
  const secrets = database.source.kind === 'secret' ? createSecretsManagerClient(aws) : undefined;
  return new DatabaseConnection(database, { secrets, applicationName });
}
