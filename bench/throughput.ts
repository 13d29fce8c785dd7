/**
 * Rows 3a-3d compare a run over N records with a baseline too slow to run over all N in a benchmark
 * (one PutRecord per record: minutes for 100,000). The baseline runs on a sample of M records and
 * its time is scaled to N (per-record calls cost the same whatever their number, so the scaling is
 * linear); the table says so.
 */
import { speedup, type RowResult } from './result';
import { summarize } from './stats';
import type { Alternated } from './alternate';

export interface ThroughputSizes {
  /** Records each measured round moves. */
  records: number;
  /** Records the per-record baseline moves per round (then scaled to `records`). */
  sampleRecords: number;
  rounds: number;
  /** Stop starting rounds after this long (at least one runs). */
  timeLimitMs?: number;
}

export interface ThroughputRowSpec {
  row: string;
  /** What is measured, before the sizes are appended. */
  measure: string;
  baseline: string;
  target: string;
  /** Minimum ratio for `met`; undefined for a reference row. */
  targetRatio: number | undefined;
  /** kinesalite's own records/s (row 3d), to say how close this row runs to it. */
  ceilingRate?: number | undefined;
}

/**
 * " = 93% of 3d" when the ceiling is known.
 *
 * @example
 * ceilingShare(14_000, 15_000); // ' = 93% of 3d'
 */
export function ceilingShare(rate: number, ceilingRate: number | undefined): string {
  if (ceilingRate === undefined || !Number.isFinite(rate / ceilingRate)) return '';
  return ` = ${Math.round((rate / ceilingRate) * 100)}% of ${CEILING_ROW}`;
}

/** The row holding kinesalite's own ceiling. */
export const CEILING_ROW = '3d';

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * @example
 * const row = throughputRow(spec, sizes, await alternate(ours, baseline, { rounds: sizes.rounds }));
 */
export function throughputRow(spec: ThroughputRowSpec, sizes: ThroughputSizes, samples: Alternated): RowResult {
  const scale = sizes.records / sizes.sampleRecords;
  const ours = summarize(samples.a.map((ms) => ms / 1000));
  const baseline = summarize(samples.b.map((ms) => (ms * scale) / 1000));
  const ratio = speedup(baseline.median, ours.median);
  const ratePerSecond = sizes.records / ours.median;
  return {
    row: spec.row,
    measure:
      `${spec.measure}: ${count(sizes.records)} records, ${count(Math.round(ratePerSecond))}/s${ceilingShare(ratePerSecond, spec.ceilingRate)}` +
      ` | base: ${spec.baseline}, timed on ${count(sizes.sampleRecords)}, scaled`,
    unit: 's',
    median: ours.median,
    p95: ours.p95,
    baselineMedian: baseline.median,
    ratio,
    target: spec.target,
    ...(spec.targetRatio === undefined ? {} : { met: ratio >= spec.targetRatio }),
    detail: {
      records: sizes.records,
      sampleRecords: sizes.sampleRecords,
      rounds: samples.a.length,
      recordsPerSecond: ratePerSecond,
      ...(spec.ceilingRate === undefined ? {} : { shareOfCeiling: ratePerSecond / spec.ceilingRate }),
      baselineRecordsPerSecond: sizes.records / baseline.median,
      oursSeconds: ours,
      baselineSecondsScaled: baseline,
      oursMs: samples.a,
      baselineSampleMs: samples.b,
    },
  };
}

/**
 * The records/s of a throughput row, from its detail.
 *
 * @example
 * const rate = rowRate(rows[0]);
 */
export function rowRate(row: RowResult): number {
  const rate = row.detail?.recordsPerSecond;
  return typeof rate === 'number' ? rate : Number.NaN;
}
