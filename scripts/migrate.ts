/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
import { Client } from 'pg';
import { applyMigrations } from '../lib/db/migrate';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required, e.g. postgres://user:pass@127.0.0.1:5432/telemetry');
  const client = new Client({ connectionString: url });
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
