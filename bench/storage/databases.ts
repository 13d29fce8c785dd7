/**
 * The two databases the storage benchmark compares, side by side on one Postgres server (so one
 * buffer cache, one WAL, one machine's noise for both): `unpartitioned` with migrations/001 only (the
 * schema before the upgrade), `partitioned` with every migration, the maintenance function's
 * partitions and a daily partition for each day the fill covers. The upgrade (upgrade.ts) gets a
 * third, with migrations/001 only, once these two are dropped.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations, MIGRATIONS_DIR } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import type { PartitionSettings } from '../../lib/maintain/config';
import { maintainPartitions } from '../../lib/maintain/maintainPartitions';
import { DAY_MS } from './rows';

export const PARTITION_SETTINGS: PartitionSettings = { interval: 'day', retentionDays: 365, ahead: 7, lookbackDays: 7 };
const OLD_SCHEMA_MIGRATION = '001_telemetry_events.sql';
/** Per statement: bounds a fill chunk or a VACUUM on a machine far slower than expected. */
const STATEMENT_TIMEOUT_MS = 15 * 60_000;

export interface BenchDatabase {
  name: 'unpartitioned' | 'partitioned';
  client: Client;
  /** The client as `lib/` takes it (the options argument would be a callback to a raw client). */
  db: Queryable;
}

export interface Databases {
  unpartitioned: BenchDatabase;
  partitioned: BenchDatabase;
  close(): Promise<void>;
}

export interface TableSize {
  totalBytes: number;
  tableBytes: number;
  indexBytes: number;
  /** Partitions holding the table (the default one included); 1 for the unpartitioned table. */
  relations: number;
}

/** A client on `url` with the benchmark's per-statement limit. */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, statement_timeout: STATEMENT_TIMEOUT_MS });
  await client.connect();
  return client;
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates `database` on the server `serverUrl` names and returns its URL. */
async function createDatabase(serverUrl: string, database: string): Promise<string> {
  const admin = await connect(serverUrl);
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(serverUrl, database);
}

async function open(serverUrl: string, name: BenchDatabase['name']): Promise<BenchDatabase> {
  const client = await connect(await createDatabase(serverUrl, `storage_${name}`));
  return { name, client, db: { query: (text, values) => client.query(text, values) } };
}

/** migrations/001 alone: `applyMigrations` over a directory holding only that file. */
async function applyOldSchema(client: Client): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'storage-bench-migrations-'));
  try {
    await copyFile(path.join(MIGRATIONS_DIR, OLD_SCHEMA_MIGRATION), path.join(dir, OLD_SCHEMA_MIGRATION));
    await applyMigrations(client, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A database of its own with migrations/001 only, for the upgrade (upgrade.ts): the comparison's
 * unpartitioned table has had batches written to it and days deleted from it by then.
 *
 * @returns its URL (the upgrade connects to it twice).
 */
export async function createOldSchemaDatabase(serverUrl: string, database: string): Promise<string> {
  const url = await createDatabase(serverUrl, database);
  const client = await connect(url);
  try {
    await applyOldSchema(client);
  } finally {
    await client.end();
  }
  return url;
}

/**
 * Drops the comparison's two databases once they are measured and closed, so that what runs next
 * (the upgrade) has the server to itself: no autovacuum after their batches and DELETEs, and the
 * disk they held free again.
 */
export async function dropDatabases(serverUrl: string): Promise<void> {
  const admin = await connect(serverUrl);
  try {
    for (const name of ['unpartitioned', 'partitioned'] satisfies BenchDatabase['name'][])
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(`storage_${name}`)}`);
  } finally {
    await admin.end();
  }
}

/**
 * Both databases, migrated; the partitioned one with daily partitions (events and rollups) for
 * `fillDays` before `now`'s UTC day besides what the maintenance function makes.
 *
 * @param serverUrl any database URL on the server (the databases are created next to it).
 */
export async function openDatabases(
  serverUrl: string,
  now: Date,
  fillStart: number,
  fillDays: number,
  log: (line: string) => void,
): Promise<Databases> {
  const opened: BenchDatabase[] = [];
  const close = async (): Promise<void> => {
    for (const { client } of opened) await client.end().catch(() => undefined);
  };
  try {
    const unpartitioned = await open(serverUrl, 'unpartitioned');
    opened.push(unpartitioned);
    const partitioned = await open(serverUrl, 'partitioned');
    opened.push(partitioned);
    await applyOldSchema(unpartitioned.client);
    await applyMigrations(partitioned.client);
    const report = await maintainPartitions(partitioned.db, PARTITION_SETTINGS, now);
    let created = report.created.length;
    // Bounded by fillDays (at most 300, options.ts) per table.
    for (const table of ['telemetry_events', 'telemetry_rollup_minute']) {
      for (let day = 0; day < fillDays; day += 1) {
        const start = new Date(fillStart + day * DAY_MS);
        const end = new Date(fillStart + (day + 1) * DAY_MS);
        const { rows } = await partitioned.db.query<{ name: string | null }>(
          'SELECT telemetry_ensure_partition($1::regclass, $2, $3) AS name',
          [table, start, end],
        );
        if (rows[0]?.name) created += 1;
      }
    }
    log(`databases ready: 001 only; all migrations with ${created} partitions made (maintenance and the fill's days)`);
    return { unpartitioned, partitioned, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Table plus indexes of `table` (pg_total_relation_size), summed over its partitions when it has some.
 *
 * @example
 * const { totalBytes } = await tableSize(db.client, 'telemetry_events');
 */
export async function tableSize(client: Client, table: string): Promise<TableSize> {
  // pg_partition_tree gives nothing for a table that is not partitioned: then the table alone. A
  // partitioned parent and its partitioned indexes have no storage of their own.
  const { rows } = await client.query<{ total: string; heap: string; indexes: string; relations: string }>(
    `WITH rels AS (
       SELECT relid, isleaf FROM pg_partition_tree($1::regclass)
       UNION ALL
       SELECT $1::regclass, true WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree($1::regclass))
     )
     SELECT sum(pg_total_relation_size(relid)) AS total, sum(pg_table_size(relid)) AS heap,
            sum(pg_indexes_size(relid)) AS indexes, count(*) FILTER (WHERE isleaf) AS relations
     FROM rels`,
    [table],
  );
  const row = rows[0];
  return {
    totalBytes: Number(row?.total ?? 0),
    tableBytes: Number(row?.heap ?? 0),
    indexBytes: Number(row?.indexes ?? 0),
    relations: Number(row?.relations ?? 0),
  };
}

/**
 * @example
 * const n = await rowCount(dbs.partitioned.client, 'telemetry_events_default');
 */
export async function rowCount(client: Client, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${client.escapeIdentifier(table)}`);
  return Number(rows[0]?.n ?? 0);
}
