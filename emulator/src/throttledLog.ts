/**
 * Repeating faults (an unreachable queue, a shard that keeps failing) would otherwise log a line
 * per retry: one line per key per interval, with a count of what was held back.
 */
export type LogLine = (line: string) => void;

/**
 * @example
 * const warn = throttledLog(console.error, 5_000);
 * warn('sqs', 'on-failure send failed: ...');
 */
export function throttledLog(log: LogLine, intervalMs = 5_000): (key: string, line: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key, line) => {
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    const suffix = seen?.suppressed ? ` (${seen.suppressed} similar lines suppressed)` : '';
    last.set(key, { at: now, suppressed: 0 });
    log(`${line}${suffix}`);
  };
}
