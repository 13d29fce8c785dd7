/**
 * One migration run on its own connection: straight to Postgres (never through a transaction-pooling
 * proxy, which would break the session advisory lock in lib/db/migrate.ts), closed afterwards.
 */
import { createSecretsManagerClient } from '../aws/secretsClient';
import { integer, readAwsConfig, type Env } from '../config';
import { readDatabaseConfig } from '../db/config';
import { resolveConnectionTarget } from '../db/credentials';
import { applyMigrations, DEFAULT_MIGRATION_LIMITS } from '../db/migrate';
import { pgSsl } from '../db/tls';
import { readPartitionSettings } from '../maintain/config';
import { maintainPartitions, type MaintenanceReport } from '../maintain/maintainPartitions';
import PgClient = require('pg/lib/client');

export interface MigrationRun {
  /** Names of the migrations this run applied (empty when the schema was up to date). */
  applied: string[];
  /** The partition maintenance run right after (when PARTITION_INTERVAL is set). */
  partitions?: MaintenanceReport;
}

/**
 * Reads the same database settings as the other functions (DATABASE_URL / DATABASE_SECRET_ARN,
 * DATABASE_SSL), and runs the partition maintenance after the migrations when PARTITION_INTERVAL is set. With ROLE_STATEMENT_TIMEOUT_MS set (stages behind RDS Proxy, whose functions send no
 * statement_timeout of their own) it also sets that limit on the database role they connect as.
 *
 * The run's statements are limited to `budgetMs` each (statement_timeout), and wait at most
 * MIGRATION_LOCK_TIMEOUT_MS (default 10 s, never more than the budget) for a table lock.
 *
 * @example
 * const { applied } = await runMigrations(process.env, '/var/task/migrations', { budgetMs: 280_000 });
 * @param signal aborting it closes the connection; Postgres cancels the statement then running
 *   when its statement_timeout passes, and that migration's transaction rolls back.
 */
export async function runMigrations(
  env: Env,
  dir: string,
  { budgetMs, signal }: { budgetMs: number; signal?: AbortSignal },
): Promise<MigrationRun> {
  const database = readDatabaseConfig(env);
  const lockTimeoutMs = integer(env, 'MIGRATION_LOCK_TIMEOUT_MS', DEFAULT_MIGRATION_LIMITS.lockTimeoutMs, 1, 900_000);
  const roleTimeoutMs = integer(env, 'ROLE_STATEMENT_TIMEOUT_MS', 0, 0, 900_000);
  const secrets = database.source.kind === 'secret' ? createSecretsManagerClient(readAwsConfig(env)) : undefined;
  const target = await resolveConnectionTarget(database, secrets);
  const client = new PgClient({
    ...target,
    ssl: pgSsl(database.tls),
    connectionTimeoutMillis: database.connectTimeoutMs,
    application_name: 'telemetry-migrate',
  });
  // A connection dropped while we wait (failover, a forced drop) must reject the run, not crash the process.
  client.on('error', () => undefined);
  // Closing the connection stops a run that took too long from going on to its next statement.
  const stop = (): void => {
    client.end().catch(() => undefined);
  };
  signal?.addEventListener('abort', stop, { once: true });
  await client.connect();
  try {
    const applied = await applyMigrations(client, dir, {
      statementTimeoutMs: budgetMs,
      lockTimeoutMs: Math.min(lockTimeoutMs, budgetMs),
    });
    // ALTER ROLE takes no bind parameters: the value (an integer, parsed above) goes in as a quoted literal.
    if (roleTimeoutMs > 0)
      await client.query(
        `ALTER ROLE CURRENT_USER SET statement_timeout = ${client.escapeLiteral(String(roleTimeoutMs))}`,
      );
    // A new stage has its partitions at once, not at the maintain function's first scheduled run.
    const settings = readPartitionSettings(env);
    return settings ? { applied, partitions: await maintainPartitions(client, settings) } : { applied };
  } finally {
    signal?.removeEventListener('abort', stop);
    await client.end().catch(() => undefined);
  }
}
