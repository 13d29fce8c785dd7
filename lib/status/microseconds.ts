/**
 * Event times in exact epoch microseconds, as decimal strings: what Postgres stores, where a
 * JavaScript Date would round to milliseconds. Cursors carry them; statements get them back as
 * ISO 8601 text, which Postgres reads as a timestamptz constant (and so prunes partitions when it
 * plans, where an expression such as `'epoch' + n * interval` would be pruned only at run time).
 */

/**
 * @example
 * isoFromMicroseconds('1767268800123456'); // '2026-01-01T12:00:00.123456Z'
 */
export function isoFromMicroseconds(us: string): string {
  const value = BigInt(us);
  const ms = value / 1000n - (value % 1000n < 0n ? 1n : 0n);
  const micro = value - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${micro.toString().padStart(3, '0')}Z`;
}

/** @example microsecondsFromMs(1767268800123); // '1767268800123000' */
export function microsecondsFromMs(ms: number): string {
  return (BigInt(ms) * 1000n).toString();
}
