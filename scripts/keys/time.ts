/**
 * Durations and instants as the keys CLI takes them (`--expires 30d`, `--overlap 24h`, an ISO time) and
 * shows them (`3d`, `in 5h`).
 */

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** `30d`, `12h`, `90m`; `0` only where a duration of nothing means something (`--overlap 0`). */
const DURATION = /^(\d{1,6})([mhd])$/;
/** A date at least: `Date.parse` alone takes things like `1` or `March 7`, which are not what anyone means. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Ten years: longer is a typo (`3650d` is fine, `365000d` is not), and a key should not outlive its owners. */
const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/**
 * A duration in milliseconds, or undefined when `text` is not one.
 *
 * @example
 * parseDuration('24h'); // 86_400_000
 * parseDuration('0', { zero: true }); // 0
 */
export function parseDuration(text: string, options: { zero?: boolean } = {}): number | undefined {
  if (options.zero && text === '0') return 0;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * An expiry (`--expires`): an ISO 8601 time, or a duration from `now`; as an ISO UTC string.
 *
 * @returns the instant, or a problem for the usage error (the caller adds the flag's name).
 * @example
 * parseExpiry('30d', Date.now()); // { ok: true, iso: '2027-01-01T10:00:00.000Z' }
 */
export function parseExpiry(text: string, now: number): { ok: true; iso: string } | { ok: false; problem: string } {
  const duration = parseDuration(text);
  if (duration !== undefined) return { ok: true, iso: new Date(now + duration).toISOString() };
  const at = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    return { ok: false, problem: 'must be an ISO 8601 time (2027-01-31T00:00:00Z) or a duration (90m, 12h, 30d)' };
  // A key that is dead on arrival is a mistake, not a request.
  if (at <= now) return { ok: false, problem: 'is in the past' };
  return { ok: true, iso: new Date(at).toISOString() };
}

/**
 * A span in the largest whole unit: `45s`, `12m`, `5h`, `3d`.
 *
 * @example
 * shortSpan(3 * 86_400_000 + 5); // '3d'
 */
export function shortSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= UNIT_MS.d) return `${Math.floor(abs / UNIT_MS.d)}d`;
  if (abs >= UNIT_MS.h) return `${Math.floor(abs / UNIT_MS.h)}h`;
  if (abs >= UNIT_MS.m) return `${Math.floor(abs / UNIT_MS.m)}m`;
  return `${Math.floor(abs / 1000)}s`;
}

/**
 * An instant relative to now, for people: `in 5h` or `3d ago`.
 *
 * @example
 * relative('2026-12-02T10:00:00.000Z', Date.parse('2026-12-02T05:00:00.000Z')); // 'in 5h'
 */
export function relative(iso: string, now: number): string {
  const delta = Date.parse(iso) - now;
  return delta >= 0 ? `in ${shortSpan(delta)}` : `${shortSpan(delta)} ago`;
}
