/**
 * `npm run migrate`: applies pending migrations. Reads the same settings as the functions:
 * DATABASE_URL, or DATABASE_SECRET_ARN (with AWS credentials) and DATABASE_SSL. Connect directly to
 * Postgres, not through pgbouncer or RDS Proxy in transaction mode: the migration lock is a session
 * advisory lock.
 */
import { Client } from 'pg';
import { createSecretsManagerClient } from '../lib/aws/secretsClient';
import { readAwsConfig } from '../lib/config';
import { readDatabaseConfig } from '../lib/db/config';
import { resolveConnectionTarget } from '../lib/db/credentials';
import { applyMigrations } from '../lib/db/migrate';

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL && !process.env.DATABASE_SECRET_ARN) {
    throw new Error('set DATABASE_URL (e.g. postgres://user:pass@127.0.0.1:5432/telemetry) or DATABASE_SECRET_ARN');
  }
  const database = readDatabaseConfig(process.env);
  const aws = readAwsConfig(process.env);
  const target = await resolveConnectionTarget(
    database,
    database.source.kind === 'secret' ? createSecretsManagerClient(aws) : undefined,
  );
  const client = new Client({
    ...target,
    ssl: database.ssl ? { rejectUnauthorized: true } : false,
    application_name: 'telemetry-migrate',
  });
  await client.connect();
  try {
    const applied = await applyMigrations(client);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
