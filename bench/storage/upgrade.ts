/**
 * Part 4: the upgrade itself. A database of its own with migrations/001 only (a stage deployed before
 * the partitions), its table filled with the fill's rows (fill.ts: `--rows` of them over the
 * `--partitions` days), then every later migration, one at a time, each by `applyMigrations` as the
 * migrate function calls it (over a directory holding the migrations up to that one, so each call
 * finds the earlier ones applied and runs the next alone):
 *
 * - 002: every row copied into daily partitions and the rollups built from them, in one transaction;
 * - 003: the tenant column added (instant) and the new primary key and query index built over every
 *   partition, the rollups' key too, under locks that make the consumer's writes wait meanwhile.
 *
 * Before each, untimed, the tables are brought to the state a settled one is in (VACUUM (ANALYZE),
 * then a CHECKPOINT so that no migration's time includes writing out the previous one's pages): what
 * a stage that deploys one release at a time meets. Meanwhile a second connection samples the
 * database's size on disk, since 002's old table stays until the commit, and 003 builds new indexes
 * next to the old ones.
 *
 * One run of each, not a median: the copy of `--rows` rows takes as long as the fill did, and
 * repeating it would multiply the benchmark's time for the numbers a deployer plans a window with.
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { applyMigrations, DEFAULT_MIGRATION_LIMITS, type MigrationLimits, MIGRATIONS_DIR } from '../../lib/db/migrate';
import { connect, createOldSchemaDatabase, rowCount, type TableSize, tableSize } from './databases';
import { type FillPlan, fillUnpartitioned } from './fill';
import { DAY_MS } from './rows';

const DATABASE = 'storage_upgrade';
const OLD_SCHEMA_MIGRATION = '001_telemetry_events.sql';
/** The migrations this row must have timed (any added later are timed too). */
const EXPECTED_MIGRATIONS = ['002_time_partitions.sql', '003_tenants.sql'];
/** What migrations/003 gives the rows stored before it. */
const LEGACY_TENANT = 'default';
const SAMPLE_INTERVAL_MS = 200;
/**
 * Each migration's statement_timeout (the migrate function's default is none): a copy this slow
 * means something is wrong, and it also bounds the sampling loop below.
 */
const UPGRADE_TIME_LIMIT_MS = 60 * 60_000;
/** One sample per interval for the time limit, and a few more for the queries' own time. */
const MAX_SAMPLES = Math.ceil(UPGRADE_TIME_LIMIT_MS / SAMPLE_INTERVAL_MS) + 10;

export interface DiskSample {
  /** Milliseconds since the migration started. */
  atMs: number;
  bytes: number;
}

export interface UpgradeDisk {
  /** pg_database_size just before the migration, the highest sample during it, and just after. */
  beforeBytes: number;
  peakBytes: number;
  afterBytes: number;
  /** peakBytes - beforeBytes: the room the migration needs besides what the database held. */
  peakExtraBytes: number;
  intervalMs: number;
  samples: DiskSample[];
  /** False when the loop stopped at MAX_SAMPLES before the migration ended (the peak may be higher). */
  complete: boolean;
}

/** One migration's run. */
export interface UpgradeStep {
  migration: string;
  /** The untimed VACUUM (ANALYZE) and CHECKPOINT before it. */
  settleMs: number;
  /** Wall time of `applyMigrations` applying this migration alone, one run. */
  ms: number;
  rowsPerSecond: number;
  /** The events and rollups (none before 002) once it committed. */
  after: { events: TableSize; rollups: TableSize | undefined };
  disk: UpgradeDisk;
  /**
   * WAL the server wrote during the migration: not in pg_database_size (pg_wal is outside the
   * database's directory), but on the same disk until the next checkpoints recycle it.
   */
  walBytes: number;
}

export interface UpgradeResult {
  rows: number;
  /** Days the rows span (one partition each after the upgrade). */
  days: number;
  /** What the `applyMigrations` calls applied, one each, in order: 002, 003, and any added after. */
  migrations: string[];
  fillMs: number;
  vacuumMs: number;
  /** The unpartitioned table (001) once filled and vacuumed. */
  before: TableSize;
  steps: UpgradeStep[];
  /** The steps' times added up: the upgrade from 001 to the latest schema. */
  ms: number;
  after: { events: TableSize; rollups: TableSize | undefined };
}

async function databaseSize(client: Client): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
  return Number(rows[0]?.bytes ?? 0);
}

async function walPosition(client: Client): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return rows[0]?.lsn ?? '0/0';
}

/**
 * Samples the database's size every SAMPLE_INTERVAL_MS until `running` settles (or MAX_SAMPLES).
 * pg_database_size adds up the files in the database's directory, uncommitted relations included,
 * and takes no lock the migration holds.
 */
async function sampleDisk(
  client: Client,
  running: Promise<unknown>,
  started: number,
): Promise<{ samples: DiskSample[]; complete: boolean }> {
  let settled = false;
  const settle = (): void => {
    settled = true;
  };
  const done = running.then(settle, settle);
  const samples: DiskSample[] = [];
  for (let k = 0; k < MAX_SAMPLES && !settled; k += 1) {
    samples.push({ atMs: Math.round(performance.now() - started), bytes: await databaseSize(client) });
    // On the interval's grid from the start: a slow sample neither pushes the later ones back nor
    // makes a burst of them (the slots it overran are skipped). No waiting once the migration ended.
    const wait = SAMPLE_INTERVAL_MS - ((performance.now() - started) % SAMPLE_INTERVAL_MS);
    await Promise.race([sleep(wait), done]);
  }
  return { samples, complete: settled };
}

/** The migrations after 001 in MIGRATIONS_DIR, in the order `applyMigrations` applies them. */
async function laterMigrations(): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
  return files.filter((name) => name > OLD_SCHEMA_MIGRATION);
}

/** A directory holding migrations/001 to `last`, for an `applyMigrations` that stops at `last`. */
async function migrationsUpTo(last: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'storage-bench-upgrade-'));
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d+_.+\.sql$/.test(name) && name <= last);
  for (const name of files) await copyFile(path.join(MIGRATIONS_DIR, name), path.join(dir, name));
  return dir;
}

async function hasTable(client: Client, table: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  return rows[0]?.found ?? false;
}

/** VACUUM (ANALYZE) of the tables there are, then a CHECKPOINT; how long it took. */
async function settle(client: Client): Promise<number> {
  const started = performance.now();
  for (const table of ['telemetry_events', 'telemetry_rollup_minute'])
    if (await hasTable(client, table)) await client.query(`VACUUM (ANALYZE) ${client.escapeIdentifier(table)}`);
  // The previous step's dirty pages written out now, so the next migration's time does not include them.
  await client.query('CHECKPOINT');
  return performance.now() - started;
}

/** `migration` alone, by `applyMigrations` over the migrations up to it, timed and its disk sampled. */
async function runStep(
  client: Client,
  sampler: Client,
  migration: string,
  rows: number,
  settleMs: number,
  log: (line: string) => void,
): Promise<UpgradeStep> {
  const limits: MigrationLimits = { ...DEFAULT_MIGRATION_LIMITS, statementTimeoutMs: UPGRADE_TIME_LIMIT_MS };
  const dir = await migrationsUpTo(migration);
  try {
    const beforeBytes = await databaseSize(sampler);
    const walStart = await walPosition(sampler);
    log(`upgrade: applying ${migration} (database ${beforeBytes.toLocaleString('en-US')} bytes)`);
    const started = performance.now();
    const applying = applyMigrations(client, dir, limits).then((applied) => ({
      applied,
      ms: performance.now() - started,
    }));
    // Both settle before anything else happens on either connection (or they close under a query).
    const [migrated, sampled] = await Promise.allSettled([applying, sampleDisk(sampler, applying, started)]);
    if (migrated.status === 'rejected') throw migrated.reason;
    if (sampled.status === 'rejected') throw sampled.reason;
    const { applied, ms } = migrated.value;
    if (applied.length !== 1 || applied[0] !== migration)
      throw new Error(`applyMigrations applied ${JSON.stringify(applied)}: expected ${migration} alone`);
    const afterBytes = await databaseSize(sampler);
    const { rows: wal } = await sampler.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS bytes',
      [walStart],
    );
    const { samples, complete } = sampled.value;
    if (!complete)
      log(`upgrade: ${migration}: disk sampling stopped after ${MAX_SAMPLES} samples; the peak may be higher`);
    // A reduce, not Math.max(...samples): an hour's samples would be too many arguments.
    const peakBytes = samples.reduce((peak, s) => Math.max(peak, s.bytes), Math.max(beforeBytes, afterBytes));
    log(
      `upgrade: ${migration} ${(ms / 1000).toFixed(1)} s, peak ${(peakBytes - beforeBytes).toLocaleString('en-US')} bytes above the ${beforeBytes.toLocaleString('en-US')} before (${samples.length} samples)`,
    );
    return {
      migration,
      settleMs,
      ms,
      rowsPerSecond: rows / (ms / 1000),
      after: {
        events: await tableSize(client, 'telemetry_events'),
        rollups: (await hasTable(client, 'telemetry_rollup_minute'))
          ? await tableSize(client, 'telemetry_rollup_minute')
          : undefined,
      },
      disk: {
        beforeBytes,
        peakBytes,
        afterBytes,
        peakExtraBytes: peakBytes - beforeBytes,
        intervalMs: SAMPLE_INTERVAL_MS,
        samples,
        complete,
      },
      walBytes: Number(wal[0]?.bytes ?? 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Broken checks, after the timing: a row lost, outside the partitions, or not given the legacy tenant. */
async function checkUpgraded(client: Client, rows: number): Promise<void> {
  const copied = await rowCount(client, 'telemetry_events');
  if (copied !== rows) throw new Error(`the upgrade kept ${copied} of ${rows} rows`);
  const stray = await rowCount(client, 'telemetry_events_default');
  if (stray > 0) throw new Error(`the upgrade put ${stray} rows in telemetry_events_default`);
  const { rows: others } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM telemetry_events WHERE tenant IS DISTINCT FROM $1',
    [LEGACY_TENANT],
  );
  const n = Number(others[0]?.n ?? 0);
  if (n > 0) throw new Error(`the upgrade left ${n} rows with a tenant other than ${LEGACY_TENANT}`);
}

/**
 * @param serverUrl any database URL on the server (the upgrade's database is created next to it).
 * @param plan the rows to fill the old table with: `--rows` over the `--partitions` days.
 * @example
 * const upgrade = await measureUpgrade(services.databaseUrl, { rows, start: fillStart, spanMs }, log);
 */
export async function measureUpgrade(
  serverUrl: string,
  plan: FillPlan,
  log: (line: string) => void,
): Promise<UpgradeResult> {
  const migrations = await laterMigrations();
  for (const expected of EXPECTED_MIGRATIONS)
    if (!migrations.includes(expected)) throw new Error(`${expected} is not in ${MIGRATIONS_DIR}`);
  const url = await createOldSchemaDatabase(serverUrl, DATABASE);
  const client = await connect(url);
  const sampler = await connect(url).catch(async (error: unknown) => {
    await client.end().catch(() => undefined);
    throw error;
  });
  try {
    log(`upgrade: filling a 001-only table with ${plan.rows.toLocaleString('en-US')} rows`);
    const fill = await fillUnpartitioned(client, plan, log);
    // As in fillTables: the table in the state a settled one is in (statistics, visibility map),
    // which is what a stage's table is when it is upgraded.
    const vacuumStarted = performance.now();
    await client.query('VACUUM (ANALYZE) telemetry_events');
    const vacuumMs = performance.now() - vacuumStarted;
    const before = await tableSize(client, 'telemetry_events');
    const steps: UpgradeStep[] = [];
    for (const migration of migrations) {
      const settleMs = await settle(client);
      steps.push(await runStep(client, sampler, migration, plan.rows, settleMs, log));
    }
    await checkUpgraded(client, plan.rows);
    const last = steps.at(-1) as UpgradeStep;
    return {
      rows: plan.rows,
      days: Math.round(plan.spanMs / DAY_MS),
      migrations: steps.map((step) => step.migration),
      fillMs: fill.ms,
      vacuumMs,
      before,
      steps,
      ms: steps.reduce((sum, step) => sum + step.ms, 0),
      after: last.after,
    };
  } finally {
    await sampler.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
