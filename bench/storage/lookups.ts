/**
 * Part 3: the status endpoint's lookup on both tables holding the same rows. Partitioned (all
 * migrations): `findStoredEvent(db, BENCH_TENANT, id)`, which sends two statements, the event by
 * `tenant = $1 AND event_id = $2` and then its source's previous and next events (migrations/003's
 * (tenant, source, event_time, event_id) index, within a week each way). Unpartitioned
 * (migrations/001, no tenant): the lookup by id alone, `WHERE event_id = $1`, with the same columns.
 *
 * The partitioned key is (tenant, event_id, event_time) and the lookup has no time, so nothing is
 * pruned: every partition's index is probed (and planned, the statement being unnamed). Each of the
 * two statements is timed on its own as well, so the by-id statement compares like with like with
 * the unpartitioned lookup: the difference of their medians spread over the partitions probed is
 * what each costs. The plans show it.
 */
import type { QueryResultRow } from 'pg';
import type { Queryable, QueryOptions } from '../../lib/db/queryable';
import { findStoredEvent } from '../../lib/status/storedEvent';
import { timed } from '../stats';
import { type LatencySummary, summarizeLatency } from './batches';
import type { BenchDatabase, Databases } from './databases';
import { BENCH_TENANT } from './rows';

const LOOKUPS = 2_000;
const WARMUP_LOOKUPS = 50;
const TIME_LIMIT_MS = 5 * 60_000;
/** Plan lines kept from the start and the end when a plan is printed. */
const PLAN_HEAD_LINES = 12;
const PLAN_TAIL_LINES = 8;

/**
 * The columns lib/status's reads select (storedEvent.ts, queryEvents.ts, which write their texts out
 * whole), `time_us` being event_time in exact epoch microseconds: the baselines select the same.
 */
export const READ_COLUMNS = `event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
    floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us`;

/** The lookup as it was before migrations/003, on the table that has no tenant: by id alone. */
const BY_ID_SQL = `SELECT ${READ_COLUMNS} FROM telemetry_events WHERE event_id = $1`;

export interface LookupPlan {
  /** The plan as EXPLAIN (ANALYZE, BUFFERS) printed it, every line. */
  lines: string[];
  /** Distinct relations the plan reads (partitions, or the one table). */
  relationsScanned: number;
  /** Distinct indexes the plan scans (one per partition read, when they are used). */
  indexes: string[];
}

/** What is timed per lookup: the whole call on each table, and the partitioned call's two statements. */
export type LookupSeries = 'unpartitioned' | 'partitioned' | 'partitionedById' | 'partitionedNeighbors';

export interface LookupResult {
  lookups: number;
  summary: Record<LookupSeries, LatencySummary>;
  samplesMs: Record<LookupSeries, number[]>;
  /** The by-id statement on each table. */
  plans: Record<BenchDatabase['name'], LookupPlan>;
  /** findStoredEvent's second statement, the previous and next event (partitioned only). */
  neighborsPlan: LookupPlan;
  /** (partitioned by-id statement p50 - unpartitioned p50) / partitions the partitioned lookup probes. */
  perPartitionMs: number;
}

interface Sent {
  text: string;
  values: unknown[];
  ms: number;
}

/** `db`, recording each statement sent through it and how long its answer took. */
export function recording(db: Queryable): { db: Queryable; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    db: {
      query: async <R extends QueryResultRow>(text: string, values?: unknown[], options?: QueryOptions) => {
        const started = performance.now();
        const result = await db.query<R>(text, values, options);
        sent.push({ text, values: values ?? [], ms: performance.now() - started });
        return result;
      },
    },
  };
}

async function randomIds(database: BenchDatabase, count: number): Promise<string[]> {
  const { rows } = await database.client.query<{ id: string }>(
    'SELECT event_id::text AS id FROM telemetry_events ORDER BY random() LIMIT $1',
    [count],
  );
  return rows.map((row) => row.id);
}

async function lookupById(database: BenchDatabase, id: string): Promise<number> {
  let found = false;
  const ms = await timed(async () => {
    found = (await database.db.query(BY_ID_SQL, [id], { idempotent: true })).rows.length === 1;
  });
  if (!found) throw new Error(`${database.name}: event ${id} not found`);
  return ms;
}

/** findStoredEvent's time, and its two statements' (the by-id one, then the neighbours). */
async function lookupStored(database: BenchDatabase, id: string): Promise<{ ms: number; statementsMs: number[] }> {
  const recorder = recording(database.db);
  let found = false;
  const ms = await timed(async () => {
    found = (await findStoredEvent(recorder.db, BENCH_TENANT, id)) !== undefined;
  });
  if (!found) throw new Error(`${database.name}: event ${id} of tenant ${BENCH_TENANT} not found`);
  if (recorder.sent.length !== 2)
    throw new Error(`findStoredEvent sent ${recorder.sent.length} statements: expected 2 (the event, its neighbours)`);
  return { ms, statementsMs: recorder.sent.map((s) => s.ms) };
}

const SCAN = /(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using (\S+))? on (\S+)/;
const BITMAP_INDEX = /Bitmap Index Scan on (\S+)/;

/**
 * EXPLAIN (ANALYZE, BUFFERS) of one statement, with the relations and indexes its plan reads.
 *
 * @example
 * const plan = await explain(dbs.partitioned, text, values);
 */
export async function explain(database: BenchDatabase, text: string, values: unknown[]): Promise<LookupPlan> {
  const { rows } = await database.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
  const lines = rows.map((row) => row['QUERY PLAN']);
  const relations = new Set<string>();
  const indexes = new Set<string>();
  for (const line of lines) {
    const scan = SCAN.exec(line);
    if (scan?.[2]) relations.add(scan[2]);
    if (scan?.[1]) indexes.add(scan[1]);
    const bitmap = BITMAP_INDEX.exec(line);
    if (bitmap?.[1]) indexes.add(bitmap[1]);
  }
  return { lines, relationsScanned: relations.size, indexes: [...indexes] };
}

/** EXPLAINs of the statements findStoredEvent sends, caught on their way to the database. */
async function explainStored(
  database: BenchDatabase,
  id: string,
): Promise<{ byId: LookupPlan; neighbors: LookupPlan }> {
  const recorder = recording(database.db);
  await findStoredEvent(recorder.db, BENCH_TENANT, id);
  const [byId, neighbors] = recorder.sent;
  if (!byId || !neighbors) throw new Error(`findStoredEvent sent ${recorder.sent.length} statements: expected 2`);
  return {
    byId: await explain(database, byId.text, byId.values),
    neighbors: await explain(database, neighbors.text, neighbors.values),
  };
}

/**
 * The plan's first and last lines with a count of what is left out between them.
 *
 * @example
 * trimPlan(plan.lines).join('\n');
 */
export function trimPlan(lines: readonly string[]): string[] {
  if (lines.length <= PLAN_HEAD_LINES + PLAN_TAIL_LINES + 1) return [...lines];
  const hidden = lines.length - PLAN_HEAD_LINES - PLAN_TAIL_LINES;
  return [
    ...lines.slice(0, PLAN_HEAD_LINES),
    `   ... ${hidden} more lines: the same probe for the other partitions ...`,
    ...lines.slice(-PLAN_TAIL_LINES),
  ];
}

/**
 * @example
 * const lookups = await measureLookups(dbs, log);
 */
export async function measureLookups(dbs: Databases, log: (line: string) => void): Promise<LookupResult> {
  // Ids from either table: both hold the same rows (batches.ts, fill.ts), all BENCH_TENANT's.
  const ids = await randomIds(dbs.unpartitioned, WARMUP_LOOKUPS + LOOKUPS);
  if (ids.length < WARMUP_LOOKUPS + LOOKUPS) throw new Error(`only ${ids.length} rows to look up`);
  const samples: Record<LookupSeries, number[]> = {
    unpartitioned: [],
    partitioned: [],
    partitionedById: [],
    partitionedNeighbors: [],
  };
  const started = performance.now();
  for (let i = 0; i < ids.length; i += 1) {
    const measured = i - WARMUP_LOOKUPS;
    if (measured > 0 && performance.now() - started > TIME_LIMIT_MS) {
      log(`lookups: time limit reached after ${measured} of ${LOOKUPS}`);
      break;
    }
    const id = ids[i] as string;
    // The same id on both, in an order that flips every lookup.
    const flatFirst = i % 2 === 0;
    let flat = 0;
    if (flatFirst) flat = await lookupById(dbs.unpartitioned, id);
    const stored = await lookupStored(dbs.partitioned, id);
    if (!flatFirst) flat = await lookupById(dbs.unpartitioned, id);
    if (measured < 0) continue;
    samples.unpartitioned.push(flat);
    samples.partitioned.push(stored.ms);
    samples.partitionedById.push(stored.statementsMs[0] ?? Number.NaN);
    samples.partitionedNeighbors.push(stored.statementsMs[1] ?? Number.NaN);
    if ((measured + 1) % 500 === 0) log(`lookups ${measured + 1}/${LOOKUPS}`);
  }
  const summary = {
    unpartitioned: summarizeLatency(samples.unpartitioned),
    partitioned: summarizeLatency(samples.partitioned),
    partitionedById: summarizeLatency(samples.partitionedById),
    partitionedNeighbors: summarizeLatency(samples.partitionedNeighbors),
  };
  const explained = ids[0] as string;
  const stored = await explainStored(dbs.partitioned, explained);
  const plans = {
    unpartitioned: await explain(dbs.unpartitioned, BY_ID_SQL, [explained]),
    partitioned: stored.byId,
  };
  const perPartitionMs =
    (summary.partitionedById.median - summary.unpartitioned.median) / Math.max(1, plans.partitioned.relationsScanned);
  return {
    lookups: samples.unpartitioned.length,
    summary,
    samplesMs: samples,
    plans,
    neighborsPlan: stored.neighbors,
    perPartitionMs,
  };
}
