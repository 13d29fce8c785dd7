/**
 * The emulator's one backoff formula (it shares no code with the pipeline it runs): exponential,
 * no jitter, so a test sees the same waits every run. Lambda does not publish its own.
 */

/**
 * @param attempt 0 for the first wait after a failure, 1 for the next, ...
 * @example
 * await sleep(exponentialDelay(attempt, timing.pollIntervalMs, 5_000));
 */
export function exponentialDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 20));
}
