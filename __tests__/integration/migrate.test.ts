import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { applyMigrations, MigrationError, MIGRATIONS_DIR } from '../../lib/db/migrate';
import { freshDatabase, MIGRATION_NAMES } from '../helpers/local';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('apply once, then report nothing to do, leaving the schema in place', async () => {
    const db = await freshDatabase();
    try {
      await withClient(db.url, async (client) => {
        expect(await applyMigrations(client)).toEqual(MIGRATION_NAMES);
        expect(await applyMigrations(client)).toEqual([]);
        const { rows } = await client.query<{ name: string }>(
          `SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('telemetry_events', 'shard_checkpoints') ORDER BY 1`,
        );
        expect(rows.map((r) => r.name)).toEqual([
          'shard_checkpoints_pkey',
          'telemetry_events_pkey',
          'telemetry_events_tenant_source_time_idx',
        ]);
      });
    } finally {
      await db.drop();
    }
  });

  it('`npm run migrate` (scripts/migrate.ts) is safe to run twice against DATABASE_URL', async () => {
    const db = await freshDatabase();
    try {
      const env = { ...process.env, DATABASE_URL: db.url };
      const first = await run('npx', ['tsx', 'scripts/migrate.ts'], { cwd: root, env });
      expect(first.stdout).toContain(`applied: ${MIGRATION_NAMES.join(', ')}`);
      const second = await run('npx', ['tsx', 'scripts/migrate.ts'], { cwd: root, env });
      expect(second.stdout).toContain('schema is up to date');
      const count = await withClient(db.url, (client) =>
        client.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations'),
      );
      expect(count.rows[0]?.n).toBe(MIGRATION_NAMES.length);
    } finally {
      await db.drop();
    }
  });

  it('refuses a migration edited after it was applied, and rolls back one that fails', async () => {
    const db = await freshDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await withClient(db.url, async (client) => {
        await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (id int);');
        expect(await applyMigrations(client, dir)).toEqual(['001_a.sql']);
        await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (id bigint);');
        await expect(applyMigrations(client, dir)).rejects.toThrow(/001_a.sql was changed after it was applied/);

        await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (id int);');
        await writeFile(path.join(dir, '002_b.sql'), 'CREATE TABLE b (id int); SELECT 1/0;');
        await expect(applyMigrations(client, dir)).rejects.toThrow(MigrationError);
        const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass('b')::text AS t`);
        expect(rows[0]?.t).toBeNull();
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('the default directory is the repository migrations folder', () => {
    expect(MIGRATIONS_DIR).toBe(path.join(root, 'migrations'));
  });
});
