/**
 * Duration percentiles from a rollup histogram. The buckets are telemetry_duration_bounds()
 * (migrations/002): bucket 0 is below 1 ms, bucket k is [bound k-1, bound k), the last is 60 s and
 * over. A percentile is interpolated linearly inside the bucket it falls in, and kept within the
 * observed min and max: an estimate whose error is at most that bucket's width.
 */

/** Must match telemetry_duration_bounds() in migrations/002. */
export const DURATION_BOUNDS_MS = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
] as const;

/**
 * @param counts one count per bucket (16).
 * @param q the quantile, 0-1 (0.5 for the median).
 * @returns the estimate in ms, or null when nothing was counted.
 * @example
 * quantile([0, 0, 10, 0, ...], 0.5, 3, 4.5); // between 2.5 and 5, within [3, 4.5]
 */
export function quantile(counts: readonly number[], q: number, min: number | null, max: number | null): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let k = 0; k < counts.length; k++) {
    const n = counts[k] ?? 0;
    if (n > 0 && below + n >= rank) {
      const lo = Math.max(k === 0 ? 0 : (DURATION_BOUNDS_MS[k - 1] as number), min ?? 0);
      const hi = Math.min(DURATION_BOUNDS_MS[k] ?? Number.POSITIVE_INFINITY, max ?? Number.POSITIVE_INFINITY);
      if (!Number.isFinite(hi)) return lo;
      const estimate = lo + ((rank - below) / n) * (hi - lo);
      return Math.round(Math.min(Math.max(estimate, lo), hi) * 1000) / 1000;
    }
    below += n;
  }
  return max;
}
