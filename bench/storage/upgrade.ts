/**
 * Part 4: the upgrade itself. A database of its own with migrations/001 only (a stage deployed before
 * the partitions), its table filled with the fill's rows (fill.ts: `--rows` of them over the
 * `--partitions` days), then `applyMigrations` as the migrate function calls it, which finds 001
 * applied and runs 002: every row copied into daily partitions and the rollups built from them, in
 * one transaction. Meanwhile a second connection samples the database's size on disk, since the old
 * table stays until the commit and the upgrade needs room for both for a while.
 *
 * One run, not a median: the copy of `--rows` rows takes as long as the fill did, and repeating it
 * would multiply the benchmark's time for the one number a deployer plans a window with.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { applyMigrations, DEFAULT_MIGRATION_LIMITS, MIGRATIONS_DIR } from '../../lib/db/migrate';
import { connect, createOldSchemaDatabase, rowCount, type TableSize, tableSize } from './databases';
import { type FillPlan, fillUnpartitioned } from './fill';
import { DAY_MS } from './rows';

const DATABASE = 'storage_upgrade';
const UPGRADE_MIGRATION = '002_time_partitions.sql';
const SAMPLE_INTERVAL_MS = 200;
/**
 * The migration's statement_timeout (the migrate function's default is none): a copy this slow
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

export interface UpgradeResult {
  rows: number;
  /** Days the rows span (one partition each after the upgrade). */
  days: number;
  /** What `applyMigrations` applied: 002, and any migration added after it. */
  migrations: string[];
  fillMs: number;
  vacuumMs: number;
  /** The unpartitioned table (001) once filled and vacuumed. */
  before: TableSize;
  /** Wall time of `applyMigrations`, one run. */
  ms: number;
  rowsPerSecond: number;
  after: { events: TableSize; rollups: TableSize };
  disk: {
    /** pg_database_size just before the migration, the highest sample during it, and just after. */
    beforeBytes: number;
    peakBytes: number;
    afterBytes: number;
    /** peakBytes - beforeBytes: the room the upgrade needs besides what the old table held. */
    peakExtraBytes: number;
    intervalMs: number;
    samples: DiskSample[];
    /** False when the loop stopped at MAX_SAMPLES before the migration ended (the peak may be higher). */
    complete: boolean;
  };
  /**
   * WAL the server wrote during the migration: not in pg_database_size (pg_wal is outside the
   * database's directory), but on the same disk until the next checkpoints recycle it.
   */
  walBytes: number;
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
    // The fill's dirty pages written out now, so the migration's time does not include writing them.
    await client.query('CHECKPOINT');
    const limits = { ...DEFAULT_MIGRATION_LIMITS, statementTimeoutMs: UPGRADE_TIME_LIMIT_MS };
    const beforeBytes = await databaseSize(sampler);
    const walStart = await walPosition(sampler);
    log(`upgrade: applying ${UPGRADE_MIGRATION} to ${before.totalBytes.toLocaleString('en-US')} bytes of table`);
    const started = performance.now();
    const migration = applyMigrations(client, MIGRATIONS_DIR, limits).then((applied) => ({
      applied,
      ms: performance.now() - started,
    }));
    // Both settle before anything else happens on either connection (or they close under a query).
    const [migrated, sampled] = await Promise.allSettled([migration, sampleDisk(sampler, migration, started)]);
    if (migrated.status === 'rejected') throw migrated.reason;
    if (sampled.status === 'rejected') throw sampled.reason;
    const { applied, ms } = migrated.value;
    if (!applied.includes(UPGRADE_MIGRATION))
      throw new Error(`applyMigrations applied ${JSON.stringify(applied)}: expected ${UPGRADE_MIGRATION}`);
    const afterBytes = await databaseSize(sampler);
    const { rows: wal } = await sampler.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS bytes',
      [walStart],
    );
    const after = {
      events: await tableSize(client, 'telemetry_events'),
      rollups: await tableSize(client, 'telemetry_rollup_minute'),
    };
    // Broken checks, after the timing: a row lost or outside the partitions is an upgrade not measured.
    const copied = await rowCount(client, 'telemetry_events');
    if (copied !== plan.rows) throw new Error(`the upgrade kept ${copied} of ${plan.rows} rows`);
    const stray = await rowCount(client, 'telemetry_events_default');
    if (stray > 0) throw new Error(`the upgrade put ${stray} rows in telemetry_events_default`);
    const { samples, complete } = sampled.value;
    if (!complete) log(`upgrade: disk sampling stopped after ${MAX_SAMPLES} samples; the peak may be higher`);
    // A reduce, not Math.max(...samples): an hour's samples would be too many arguments.
    const peakBytes = samples.reduce((peak, s) => Math.max(peak, s.bytes), Math.max(beforeBytes, afterBytes));
    log(
      `upgrade: ${(ms / 1000).toFixed(1)} s, peak ${(peakBytes - beforeBytes).toLocaleString('en-US')} bytes above the ${beforeBytes.toLocaleString('en-US')} before (${samples.length} samples)`,
    );
    return {
      rows: plan.rows,
      days: Math.round(plan.spanMs / DAY_MS),
      migrations: applied,
      fillMs: fill.ms,
      vacuumMs,
      before,
      ms,
      rowsPerSecond: plan.rows / (ms / 1000),
      after,
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
    await sampler.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
