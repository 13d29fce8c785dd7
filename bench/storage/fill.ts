/**
 * Fills both tables with the same rows, server-side (INSERT ... SELECT FROM generate_series), in
 * chunks alternating between the databases so both see the same machine while they grow. The
 * partitioned fill goes through the parent (rows are routed to their daily partitions) and keeps the
 * per-minute rollups with the consumer's own upsert, as the consumer would have: the rollup table a
 * later batch upserts into is then as large as it would be. Its rows are the unpartitioned fill's
 * with one column more, `tenant` (BENCH_TENANT, as the batches' rows): migrations/003 refuses a row
 * without one.
 */
import type { Client } from 'pg';
import type { BenchDatabase, Databases } from './databases';
import { FILL_INSERT, TENANT_FILL_INSERT } from './rows';
import { INSERTED_RETURNING, ROLLUP_CTE } from './statements';

const CHUNK_ROWS = 100_000;
/** A fill that takes longer than this would make the run pointless; stop rather than go on. */
const FILL_TIME_LIMIT_MS = 90 * 60_000;

const PARTITIONED_FILL = `WITH inserted AS (
${TENANT_FILL_INSERT}
  ${INSERTED_RETURNING}
), ${ROLLUP_CTE}
SELECT (SELECT count(*) FROM inserted)::int AS written`;

export interface FillPlan {
  rows: number;
  /** Epoch ms where the fill's event times start, and how long they span. */
  start: number;
  spanMs: number;
}

export interface FillResult {
  rows: number;
  chunks: number;
  /** Time spent filling each table, and in the VACUUM (ANALYZE) after. */
  ms: Record<BenchDatabase['name'], number>;
  vacuumMs: Record<BenchDatabase['name'], number>;
}

/** FILL_INSERT's parameters for rows `from` to `to` - 1 of `plan`. */
function chunkValues(plan: FillPlan, from: number, to: number): unknown[] {
  return [from, to, plan.start, plan.spanMs, plan.rows];
}

async function fillChunk(database: BenchDatabase, plan: FillPlan, from: number, to: number): Promise<number> {
  const values = chunkValues(plan, from, to);
  if (database.name === 'unpartitioned') return fillOldSchemaChunk(database.client, values);
  const { rows } = await database.client.query<{ written: number }>(PARTITIONED_FILL, values);
  return rows[0]?.written ?? 0;
}

async function fillOldSchemaChunk(client: Client, values: unknown[]): Promise<number> {
  const result = await client.query(FILL_INSERT, values);
  return result.rowCount ?? 0;
}

/**
 * The unpartitioned fill alone, into a 001-only database of its own (the upgrade, upgrade.ts): the
 * rows and chunks `fillTables` writes to the unpartitioned table for the same plan. No VACUUM: the
 * caller times its own.
 *
 * @example
 * const { ms } = await fillUnpartitioned(client, { rows: 2_000_000, start: fillStart, spanMs: 30 * DAY_MS }, log);
 */
export async function fillUnpartitioned(
  client: Client,
  plan: FillPlan,
  log: (line: string) => void,
): Promise<{ chunks: number; ms: number }> {
  const started = performance.now();
  const chunks = Math.ceil(plan.rows / CHUNK_ROWS);
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    if (performance.now() - started > FILL_TIME_LIMIT_MS)
      throw new Error(`fill stopped after ${FILL_TIME_LIMIT_MS / 60_000} min at chunk ${chunk}/${chunks}`);
    const from = chunk * CHUNK_ROWS;
    const to = Math.min(plan.rows, from + CHUNK_ROWS);
    const written = await fillOldSchemaChunk(client, chunkValues(plan, from, to));
    if (written !== to - from) throw new Error(`fill wrote ${written} of ${to - from} rows`);
    // Every tenth chunk: the comparison's fill has already shown the pace.
    if ((chunk + 1) % 10 === 0 || chunk === chunks - 1)
      log(
        `fill ${to.toLocaleString('en-US')}/${plan.rows.toLocaleString('en-US')} rows: ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
  }
  return { chunks, ms: performance.now() - started };
}

/**
 * @example
 * await fillTables(dbs, { rows: 2_000_000, start: fillStart, spanMs: 30 * DAY_MS }, log);
 */
export async function fillTables(dbs: Databases, plan: FillPlan, log: (line: string) => void): Promise<FillResult> {
  const started = performance.now();
  const chunks = Math.ceil(plan.rows / CHUNK_ROWS);
  const ms = { unpartitioned: 0, partitioned: 0 };
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    if (performance.now() - started > FILL_TIME_LIMIT_MS)
      throw new Error(`fill stopped after ${FILL_TIME_LIMIT_MS / 60_000} min at chunk ${chunk}/${chunks}`);
    const from = chunk * CHUNK_ROWS;
    const to = Math.min(plan.rows, from + CHUNK_ROWS);
    // Which table goes first flips every chunk: neither always follows the other's checkpoint.
    const order = chunk % 2 === 0 ? [dbs.unpartitioned, dbs.partitioned] : [dbs.partitioned, dbs.unpartitioned];
    for (const database of order) {
      const chunkStarted = performance.now();
      const written = await fillChunk(database, plan, from, to);
      ms[database.name] += performance.now() - chunkStarted;
      if (written !== to - from) throw new Error(`fill of ${database.name} wrote ${written} of ${to - from} rows`);
    }
    log(
      `fill ${to.toLocaleString('en-US')}/${plan.rows.toLocaleString('en-US')} rows: unpartitioned ${(ms.unpartitioned / 1000).toFixed(1)} s, partitioned ${(ms.partitioned / 1000).toFixed(1)} s`,
    );
  }
  // Autovacuum would get there on its own in time; done now, both tables are measured in the state
  // a settled table is in (statistics, visibility map), not in whatever state autovacuum reached.
  const vacuumMs = { unpartitioned: 0, partitioned: 0 };
  for (const database of [dbs.unpartitioned, dbs.partitioned]) {
    const vacuumStarted = performance.now();
    await database.client.query('VACUUM (ANALYZE) telemetry_events');
    vacuumMs[database.name] = performance.now() - vacuumStarted;
    log(`VACUUM (ANALYZE) ${database.name}: ${(vacuumMs[database.name] / 1000).toFixed(1)} s`);
  }
  await dbs.partitioned.client.query('VACUUM (ANALYZE) telemetry_rollup_minute');
  return { rows: plan.rows, chunks, ms, vacuumMs };
}
