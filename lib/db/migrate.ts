/**
 * Applies the versioned SQL files in `migrations/` in name order, each once, each in its own
 * transaction, under an advisory lock so two deployers (or two test workers) cannot race.
 * Safe to run any number of times. Plain SQL files keep the schema reviewable and tool-agnostic.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientBase } from 'pg';
import { errorMessage, PipelineError } from '../errors';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

// Arbitrary constant naming this project's migration lock.
const LOCK_KEY = 7_302_214_001;

export class MigrationError extends PipelineError {
  override readonly name = 'MigrationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
  }
}

/** Session limits for a run; 0 means none. */
export interface MigrationLimits {
  /** Per statement. Set for the session, so a default on the role (RDS Proxy stages set one) never applies. */
  statementTimeoutMs: number;
  /**
   * How long a statement may wait for a table lock once this run holds the migration lock. Short, because
   * Postgres queues the consumer's writes behind a waiting ALTER TABLE: better a failed migration than
   * stalled writes.
   */
  lockTimeoutMs: number;
}

export const DEFAULT_MIGRATION_LIMITS: MigrationLimits = { statementTimeoutMs: 0, lockTimeoutMs: 10_000 };

/**
 * @returns the names of the migrations applied by this call (empty when up to date).
 * @example
 * await applyMigrations(client); // ['001_telemetry_events.sql'] the first time, [] after
 */
export async function applyMigrations(
  client: ClientBase,
  dir: string = MIGRATIONS_DIR,
  limits: MigrationLimits = DEFAULT_MIGRATION_LIMITS,
): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
  await client.query("SELECT set_config('statement_timeout', $1, false)", [String(limits.statementTimeoutMs)]);
  // Waiting here for another deployer is not a table lock: lock_timeout applies only after.
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  await client.query("SELECT set_config('lock_timeout', $1, false)", [String(limits.lockTimeoutMs)]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations',
    );
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    const done: string[] = [];
    for (const name of files) {
      const sql = await readFile(path.join(dir, name), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = applied.get(name);
      if (previous !== undefined) {
        // An applied migration that changed since is a mistake to surface, not to re-run.
        if (previous !== checksum) throw new MigrationError(`migration ${name} was changed after it was applied`);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`migration ${name} failed: ${errorMessage(error)}`, { cause: error });
      }
      done.push(name);
    }
    return done;
  } finally {
    // If the connection broke, the session's lock is gone with it; a failing unlock must not hide
    // the error that got us here.
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
  }
}
