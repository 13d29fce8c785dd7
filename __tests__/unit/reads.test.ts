/** The read API's pure parts: cursors, exact times, duration percentiles, parameter refusals. */
import { decodeCursor, encodeCursor, type Cursor } from '../../lib/status/cursor';
import { isoFromMicroseconds, microsecondsFromMs } from '../../lib/status/microseconds';
import { integerParam, sourceParam, timeParam, unknownParameter } from '../../lib/status/params';
import { DURATION_BOUNDS_MS, quantile } from '../../lib/status/percentiles';

const SECRET = Buffer.from('unit-test-cursor-secret-0123456789abcdef');
const CURSOR: Cursor = {
  query: { source: 'checkout', type: null, fromUs: '1767225600000000', toUs: '1767312000000000' },
  position: { direction: 'after', timeUs: '1767268800123456', eventId: '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e' },
};

describe('cursors', () => {
  it('round-trip for the tenant they were made for, and for no other', () => {
    const text = encodeCursor(SECRET, 'acme', CURSOR);
    expect(decodeCursor(SECRET, 'acme', text)).toEqual(CURSOR);
    expect(decodeCursor(SECRET, 'globex', text)).toBeUndefined();
    expect(decodeCursor(Buffer.from('another-secret-of-this-stage-000000000'), 'acme', text)).toBeUndefined();
  });

  it('say nothing of the tenant in clear', () => {
    const [body] = encodeCursor(SECRET, 'acme-corporation', CURSOR).split('.') as [string];
    expect(Buffer.from(body, 'base64url').toString('utf8')).not.toContain('acme');
  });
});

describe('exact times', () => {
  it.each([
    ['1767268800123456', '2026-01-01T12:00:00.123456Z'],
    ['1767268800000000', '2026-01-01T12:00:00.000000Z'],
    ['1767268800000001', '2026-01-01T12:00:00.000001Z'],
    ['-1', '1969-12-31T23:59:59.999999Z'],
  ])('%s µs is %s', (us, iso) => {
    expect(isoFromMicroseconds(us)).toBe(iso);
  });

  it('turns milliseconds into microseconds exactly', () => {
    expect(microsecondsFromMs(1767268800123)).toBe('1767268800123000');
  });
});

describe('duration percentiles from rollup buckets', () => {
  const counts = (at: Record<number, number>) => Array.from({ length: 16 }, (_, k) => at[k] ?? 0);

  it('interpolates inside the bucket the rank falls in, within min and max', () => {
    // 100 durations in [10, 25): bucket 4 (bounds 10 and 25).
    expect(DURATION_BOUNDS_MS[3]).toBe(10);
    const p50 = quantile(counts({ 4: 100 }), 0.5, 10, 25);
    expect(p50).toBeCloseTo(17.5, 5);
    // min and max narrow the bucket: all between 12 and 14.
    expect(quantile(counts({ 4: 100 }), 0.5, 12, 14)).toBeCloseTo(13, 5);
  });

  it('walks the buckets by rank, and takes the max for the open last bucket', () => {
    const mixed = counts({ 0: 50, 15: 50 });
    expect(quantile(mixed, 0.25, 0.2, 90_000)).toBeLessThan(1);
    expect(quantile(mixed, 0.99, 0.2, 90_000)).toBeGreaterThan(60_000);
    expect(quantile(mixed, 0.99, 0.2, 90_000)).toBeLessThanOrEqual(90_000);
    expect(quantile(counts({}), 0.5, null, null)).toBeNull();
  });
});

describe('query parameters', () => {
  it('refuse with stable codes and name the parameter', () => {
    expect(unknownParameter({ souce: 'x' }, ['source'])).toMatchObject({
      failure: { status: 400, code: 'UNKNOWN_PARAMETER', details: { parameter: 'souce' } },
    });
    expect(sourceParam({})).toMatchObject({ failure: { code: 'SOURCE_REQUIRED' } });
    expect(sourceParam({ source: 'x'.repeat(257) })).toMatchObject({ failure: { code: 'INVALID_PARAMETER' } });
    for (const text of ['0', '1001', '1e2', '-1', '10.5', 'ten'])
      expect(integerParam({ limit: text }, 'limit', 100, 1, 1000)).toMatchObject({ ok: false });
    expect(integerParam({ limit: '1000' }, 'limit', 100, 1, 1000)).toEqual({ ok: true, value: 1000 });
    for (const text of ['yesterday', '2026-01-01', '2026-01-01T12:00:00', '1767268800000'])
      expect(timeParam({ from: text }, 'from', 0)).toMatchObject({
        ok: false,
        failure: { details: { parameter: 'from' } },
      });
    expect(timeParam({ from: '2026-01-01T12:00:00+01:00' }, 'from', 0)).toEqual({
      ok: true,
      value: Date.UTC(2026, 0, 1, 11),
    });
  });
});
