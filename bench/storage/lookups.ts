/**
 * Part 3: the status endpoint's lookup (`findStoredEvent`, `WHERE event_id = $1`) on both tables
 * holding the same rows. The partitioned key is (event_id, event_time) and the lookup has no time, so
 * nothing is pruned: every partition's index is probed (and planned, the statement being unnamed). The
 * plans show it; the difference of the medians spread over the partitions probed is what each costs.
 */
import type { QueryResultRow } from 'pg';
import type { Queryable } from '../../lib/db/queryable';
import { findStoredEvent } from '../../lib/status/storedEvent';
import { timed } from '../stats';
import { type LatencySummary, summarizeLatency } from './batches';
import type { BenchDatabase, Databases } from './databases';

const LOOKUPS = 2_000;
const WARMUP_LOOKUPS = 50;
const TIME_LIMIT_MS = 5 * 60_000;
/** Plan lines kept from the start and the end when a plan is printed. */
const PLAN_HEAD_LINES = 12;
const PLAN_TAIL_LINES = 8;

export interface LookupPlan {
  /** The plan as EXPLAIN (ANALYZE, BUFFERS) printed it, every line. */
  lines: string[];
  /** Distinct relations the plan reads (partitions, or the one table). */
  relationsScanned: number;
}

export interface LookupResult {
  lookups: number;
  summary: Record<BenchDatabase['name'], LatencySummary>;
  samplesMs: Record<BenchDatabase['name'], number[]>;
  plans: Record<BenchDatabase['name'], LookupPlan>;
  /** (partitioned p50 - unpartitioned p50) / partitions the partitioned lookup probes. */
  perPartitionMs: number;
}

async function randomIds(database: BenchDatabase, count: number): Promise<string[]> {
  const { rows } = await database.client.query<{ id: string }>(
    'SELECT event_id::text AS id FROM telemetry_events ORDER BY random() LIMIT $1',
    [count],
  );
  return rows.map((row) => row.id);
}

async function lookup(database: BenchDatabase, id: string): Promise<number> {
  let found = false;
  const ms = await timed(async () => {
    found = (await findStoredEvent(database.db, id)) !== undefined;
  });
  if (!found) throw new Error(`${database.name}: event ${id} not found`);
  return ms;
}

/** EXPLAIN of the statement findStoredEvent sends, caught on its way to the database. */
async function explainLookup(database: BenchDatabase, id: string): Promise<LookupPlan> {
  let sent: { text: string; values: unknown[] } | undefined;
  const recorder: Queryable = {
    query: <R extends QueryResultRow>(text: string, values?: unknown[]) => {
      sent = { text, values: values ?? [] };
      return database.client.query<R>(text, values);
    },
  };
  await findStoredEvent(recorder, id);
  if (!sent) throw new Error('findStoredEvent sent no statement');
  const { rows } = await database.client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${sent.text}`,
    sent.values,
  );
  const lines = rows.map((row) => row['QUERY PLAN']);
  const relations = new Set<string>();
  for (const line of lines) {
    const match = /(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \S+)? on (\S+)/.exec(
      line,
    );
    if (match?.[1]) relations.add(match[1]);
  }
  return { lines, relationsScanned: relations.size };
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
  // Ids from either table: both hold the same rows (batches.ts, fill.ts).
  const ids = await randomIds(dbs.unpartitioned, WARMUP_LOOKUPS + LOOKUPS);
  if (ids.length < WARMUP_LOOKUPS + LOOKUPS) throw new Error(`only ${ids.length} rows to look up`);
  const samples: Record<BenchDatabase['name'], number[]> = { unpartitioned: [], partitioned: [] };
  const started = performance.now();
  for (let i = 0; i < ids.length; i += 1) {
    const measured = i - WARMUP_LOOKUPS;
    if (measured > 0 && performance.now() - started > TIME_LIMIT_MS) {
      log(`lookups: time limit reached after ${measured} of ${LOOKUPS}`);
      break;
    }
    const id = ids[i] as string;
    // The same id on both, in an order that flips every lookup.
    const order = i % 2 === 0 ? [dbs.unpartitioned, dbs.partitioned] : [dbs.partitioned, dbs.unpartitioned];
    for (const database of order) {
      const ms = await lookup(database, id);
      if (measured >= 0) samples[database.name].push(ms);
    }
    if (measured >= 0 && (measured + 1) % 500 === 0) log(`lookups ${measured + 1}/${LOOKUPS}`);
  }
  const summary = {
    unpartitioned: summarizeLatency(samples.unpartitioned),
    partitioned: summarizeLatency(samples.partitioned),
  };
  const explained = ids[0] as string;
  const plans = {
    unpartitioned: await explainLookup(dbs.unpartitioned, explained),
    partitioned: await explainLookup(dbs.partitioned, explained),
  };
  const perPartitionMs =
    (summary.partitioned.median - summary.unpartitioned.median) / Math.max(1, plans.partitioned.relationsScanned);
  return { lookups: samples.unpartitioned.length, summary, samplesMs: samples, plans, perPartitionMs };
}
