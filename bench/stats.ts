/**
 * Order statistics for benchmark samples. Nearest-rank quantiles: with few samples (a 100,000-record
 * round takes seconds, so there are only a handful) an interpolated p95 would invent a value no run
 * produced; nearest-rank reports one that did.
 */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * The nearest-rank q-quantile (0 < q <= 1) of `values`; NaN for no values.
 *
 * @example
 * quantile([5, 1, 3], 0.5); // 3
 */
export function quantile(values: readonly number[], q: number): number {
  return ranked(
    [...values].sort((a, b) => a - b),
    q,
  );
}

function ranked(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Median, p95, p99, min and max of `values`.
 *
 * @example
 * summarize([12, 10, 11]).median; // 11
 */
export function summarize(values: readonly number[]): Summary {
  // Sorted once; no Math.min(...values), which overflows the stack on a long end-to-end run.
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: ranked(sorted, 0.5),
    p95: ranked(sorted, 0.95),
    p99: ranked(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * Milliseconds `fn` took, by the monotonic clock.
 *
 * @example
 * const ms = await timed(() => handler(event, context));
 */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}
