/**
 * One line of the benchmark table, as printed and as written to `bench/results.json`. Times are in
 * the row's unit; `ratio` is always "how many times faster than the baseline" (baseline / ours), so
 * that every target reads the same way.
 */

export type Unit = 'ms' | 's' | 'events/s' | 'records/s';

export interface RowResult {
  /** Row number as the issue counts them, e.g. `1`, `3a`. */
  row: string;
  measure: string;
  unit: Unit;
  median?: number;
  p95?: number;
  baselineMedian?: number;
  ratio?: number;
  target: string;
  /** Undefined for reference rows (emulator ceilings), which have no target. */
  met?: boolean;
  /**
   * A correctness check (nothing lost, nothing doubled) rather than a timing: when it is not met the
   * run fails. Timings never fail a run; a shared machine makes them too noisy to gate on.
   */
  check?: boolean;
  /** Cells shown as given instead of formatted from the numbers above. */
  display?: Partial<Record<'median' | 'p95' | 'baseline' | 'ratio', string>>;
  /** Samples and counts behind the row, for the JSON only. */
  detail?: Record<string, unknown>;
}

/**
 * @example
 * const ratio = speedup(perRecordMedianMs, handlerMedianMs); // 3.9
 */
export function speedup(baseline: number, ours: number): number {
  return ours > 0 ? baseline / ours : Number.NaN;
}
