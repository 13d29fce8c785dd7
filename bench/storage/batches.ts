/**
 * Part 1: the consumer's write of one 1,000-row batch on each schema, batch by batch. Each round
 * writes one batch to both tables, timed, and a second batch to the partitioned table through the
 * statement without its rollup CTE, timed too (what the partitions cost apart from the rollups). The
 * second batch then goes to the unpartitioned table as well, untimed, so both tables keep holding
 * the same rows (sizes and lookups compare like with like). The order of the three timed writes
 * rotates every round, so none always runs first or last.
 */
import { writeEvents } from '../../lib/db/writeEvents';
import { quantile, summarize, timed } from '../stats';
import type { BenchDatabase, Databases } from './databases';
import { type Batch, consumerBatch } from './rows';
import { PARTITIONED_NO_ROLLUP_SQL, UNPARTITIONED_WRITE_SQL } from './statements';

export const VARIANTS = ['unpartitioned', 'partitioned', 'partitionedNoRollup'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Rounds run first and not counted (connections, plan caches, the first pages of each index). */
export const WARMUP_ROUNDS = 2;
/** Batches each round adds to each table (the shared one and the extra one). */
export const BATCHES_PER_ROUND = 2;
/** Stop starting rounds after this long per size (at least one measured round runs). */
const TIME_LIMIT_MS = 10 * 60_000;

export interface LatencySummary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export interface BatchResult {
  rounds: number;
  warmup: number;
  summary: Record<Variant, LatencySummary>;
  samplesMs: Record<Variant, number[]>;
}

/**
 * @example
 * summarizeLatency([3, 1, 2]).median; // 2
 */
export function summarizeLatency(values: readonly number[]): LatencySummary {
  const { n, median, min, max } = summarize(values);
  return { n, median, p90: quantile(values, 0.9), min, max };
}

async function write(database: BenchDatabase, sql: string | undefined, batch: Batch): Promise<number> {
  let written = 0;
  const ms = await timed(async () => {
    if (sql === undefined) {
      written = (await writeEvents(database.db, batch.rows, batch.checkpoints)).written;
      return;
    }
    // Serialized inside the timing, as writeEvents does.
    const { rows } = await database.db.query<{ written: number }>(sql, [
      JSON.stringify(batch.rows),
      JSON.stringify(batch.checkpoints),
    ]);
    written = rows[0]?.written ?? 0;
  });
  if (written !== batch.rows.length) throw new Error(`${database.name} wrote ${written} of ${batch.rows.length} rows`);
  return ms;
}

/**
 * @param label what the tables hold now, for the progress lines.
 * @example
 * const empty = await measureBatches(dbs, 40, 'empty tables', log);
 */
export async function measureBatches(
  dbs: Databases,
  rounds: number,
  label: string,
  log: (line: string) => void,
): Promise<BatchResult> {
  const samples: Record<Variant, number[]> = { unpartitioned: [], partitioned: [], partitionedNoRollup: [] };
  const started = performance.now();
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round += 1) {
    const measured = round - WARMUP_ROUNDS;
    if (measured > 0 && performance.now() - started > TIME_LIMIT_MS) {
      log(`${label}: time limit reached after ${measured} of ${rounds} rounds`);
      break;
    }
    const shared = consumerBatch(Date.now());
    const extra = consumerBatch(Date.now());
    const trials: Record<Variant, () => Promise<number>> = {
      unpartitioned: () => write(dbs.unpartitioned, UNPARTITIONED_WRITE_SQL, shared),
      partitioned: () => write(dbs.partitioned, undefined, shared),
      partitionedNoRollup: () => write(dbs.partitioned, PARTITIONED_NO_ROLLUP_SQL, extra),
    };
    const ms: Partial<Record<Variant, number>> = {};
    for (let k = 0; k < VARIANTS.length; k += 1) {
      const variant = VARIANTS[(round + k) % VARIANTS.length] as Variant;
      ms[variant] = await trials[variant]();
    }
    await write(dbs.unpartitioned, UNPARTITIONED_WRITE_SQL, extra);
    if (measured < 0) continue;
    for (const variant of VARIANTS) samples[variant].push(ms[variant] ?? Number.NaN);
    log(
      `${label} round ${measured + 1}/${rounds}: unpartitioned ${ms.unpartitioned?.toFixed(1)} ms, partitioned ${ms.partitioned?.toFixed(1)} ms (no rollups ${ms.partitionedNoRollup?.toFixed(1)} ms)`,
    );
  }
  return {
    rounds: samples.unpartitioned.length,
    warmup: WARMUP_ROUNDS,
    summary: {
      unpartitioned: summarizeLatency(samples.unpartitioned),
      partitioned: summarizeLatency(samples.partitioned),
      partitionedNoRollup: summarizeLatency(samples.partitionedNoRollup),
    },
    samplesMs: samples,
  };
}
