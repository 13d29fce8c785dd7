import fc from 'fast-check';
import { EVENT_VERSION, eventProblem, type TelemetryEvent } from '../../lib/telemetry/event';
import { derivedEventId, EVENT_ID_NAMESPACE } from '../../lib/telemetry/ids';
import {
  DEFAULT_SOURCE,
  MAX_NESTING_DEPTH,
  normalizeEvent,
  type NormalizeContext,
} from '../../lib/telemetry/normalize';
import { encodeEvent } from '../../lib/telemetry/event';

const context: NormalizeContext = {
  tenant: 'test',
  index: 0,
  idempotencyKey: undefined,
  receivedAt: '2024-05-01T12:00:00.000Z',
};

function accepted(item: unknown, ctx: NormalizeContext = context): TelemetryEvent {
  const result = normalizeEvent(item, ctx);
  if (!result.ok) throw new Error(`expected an event, got: ${result.error}`);
  return result.event;
}

function refusal(item: unknown): string {
  const result = normalizeEvent(item, context);
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

/** What the consumer sees: the bytes on the stream, decoded. */
function onTheWire(event: TelemetryEvent): unknown {
  return JSON.parse(encodeEvent(event).toString('utf8'));
}

describe('normalizeEvent', () => {
  it('builds the contract event: defaults, ISO UTC timestamps, every other field as payload', () => {
    const event = accepted({
      source: 'fn',
      timestamp: '2024-05-01T14:00:00.123456+02:00',
      region: 'eu',
      nested: { a: [1, null] },
    });
    expect(event).toEqual({
      v: EVENT_VERSION,
      tenant: 'test',
      eventId: expect.any(String),
      source: 'fn',
      type: 'invocation',
      timestamp: '2024-05-01T12:00:00.123Z',
      durationMs: null,
      payload: { region: 'eu', nested: { a: [1, null] } },
      receivedAt: context.receivedAt,
    });
  });

  it('takes the time stock agents send: @timestamp, time, date; their numbers are epoch seconds, never guessed', () => {
    // Fluent Bit's http output: `date` in epoch seconds with a fraction, and no source.
    const fluentBit = accepted({ date: 1_700_000_000.25, log: 'started' });
    expect(fluentBit).toMatchObject({
      source: DEFAULT_SOURCE,
      timestamp: '2023-11-14T22:13:20.250Z',
      payload: { log: 'started' },
    });
    expect(accepted({ source: 's', time: '2024-05-01T12:00:00Z' }).timestamp).toBe('2024-05-01T12:00:00.000Z');
    expect(accepted({ source: 's', '@timestamp': 1_700_000_000 }).timestamp).toBe('2023-11-14T22:13:20.000Z');
    // The same number under `timestamp` is milliseconds: the field decides the unit, not the size.
    expect(accepted({ source: 's', timestamp: 1_700_000_000 }).timestamp).toBe('1970-01-20T16:13:20.000Z');
    // The first field present wins; the others stay in the payload.
    const both = accepted({ source: 's', timestamp: 0, date: 1_700_000_000 });
    expect(both).toMatchObject({ timestamp: '1970-01-01T00:00:00.000Z', payload: { date: 1_700_000_000 } });
    expect(refusal({ source: 's', date: 'yesterday' })).toMatch(
      /date must be an ISO 8601 date-time .* or epoch seconds/,
    );
    expect(refusal({ source: 's' })).toMatch(/timestamp is required/);
    // Numbers before 2000 in an agent's field are more likely a duration or digits of a date than a time.
    expect(refusal({ source: 's', date: 20240501 })).toMatch(/between years 2000 and 9999/);
    expect(refusal({ source: 's', time: 12.5 })).toMatch(/time must be/);
  });

  it('treats null optional fields as absent, and keeps a "__proto__" field as a plain payload field', () => {
    const item = JSON.parse(
      '{"source":"fn","timestamp":0,"type":null,"durationMs":null,"eventId":null,"__proto__":{"polluted":true}}',
    ) as unknown;
    const event = accepted(item);
    expect(event.type).toBe('invocation');
    expect(event.durationMs).toBeNull();
    expect(Object.getPrototypeOf(event.payload)).toBe(Object.prototype);
    expect(Object.keys(event.payload)).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('derives ids from the Idempotency-Key and the index, and lower-cases client ids', () => {
    expect(accepted({ source: 's', timestamp: 1 }, { ...context, idempotencyKey: 'k', index: 3 }).eventId).toBe(
      derivedEventId('k', 3),
    );
    expect(derivedEventId('k', 3)).not.toBe(derivedEventId('k', 4));
    expect(derivedEventId('k', 3)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    expect(EVENT_ID_NAMESPACE).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      accepted(
        { source: 's', timestamp: 1, eventId: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE' },
        { ...context, idempotencyKey: 'k' },
      ).eventId,
    ).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  });

  it.each([
    [{ source: 's', timestamp: '2024-05-01' }, /timestamp/],
    [{ source: 's', timestamp: 'May 1, 2024' }, /timestamp/],
    [{ source: 's', timestamp: 8.64e15 }, /timestamp/],
    [{ source: 's', timestamp: Number.NaN }, /timestamp/],
    [{ source: 's', timestamp: '1700000000000' }, /timestamp/],
    [{ source: '', timestamp: 1 }, /source/],
    [{ source: null, timestamp: 'x' }, /timestamp/],
    [{ source: 1, timestamp: 1 }, /source/],
    [{ source: 's', timestamp: 1, type: 'x'.repeat(129) }, /type/],
    [{ source: 's', timestamp: 1, durationMs: '12' }, /durationMs/],
    [{ source: 's', timestamp: 1, eventId: 42 }, /eventId/],
    [{ source: 'a\u0000b', timestamp: 1 }, /source contains U\+0000/],
    [{ source: 's', timestamp: 1, tags: ['ok', 'bad\u0000'] }, /tags\[1\] contains U\+0000/],
    [{ source: 's', timestamp: 1, m: { 'k\u0000': 1 } }, /field name in m contains U\+0000/],
  ])('refuses %j', (item, why) => {
    expect(refusal(item)).toMatch(why);
  });

  it(`refuses nesting deeper than ${MAX_NESTING_DEPTH} levels and takes ${MAX_NESTING_DEPTH - 1}`, () => {
    const nest = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
    expect(refusal({ source: 's', timestamp: 1, deep: nest(MAX_NESTING_DEPTH) })).toMatch(/nested more than/);
    expect(onTheWire(accepted({ source: 's', timestamp: 1, deep: nest(MAX_NESTING_DEPTH - 1) }))).toBeDefined();
  });

  it('whatever it accepts passes the consumer’s eventProblem and survives the trip over the wire', () => {
    // mostly valid values, with a share of broken ones, so that both outcomes are exercised often
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('\u0000', '\ud800', 'ok', ''));
    const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
      fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: invalid, weight: 1 });
    const item = fc.record(
      {
        source: mostly(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
          fc.oneof(text, fc.string({ minLength: 257, maxLength: 260 }), fc.integer()),
        ),
        timestamp: mostly(
          fc.oneof(
            fc.double({ min: -62_135_596_800_000, max: 253_402_300_799_999, noNaN: true }).map(Math.trunc),
            fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((date) => date.toISOString()),
          ),
          fc.oneof(fc.double(), text, fc.double({ min: 253_402_300_800_000, noNaN: true })),
        ),
        eventId: mostly(fc.oneof(fc.uuid(), fc.constant(null)), text),
        type: mostly(
          fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.constant(null)),
          fc.oneof(text, fc.integer()),
        ),
        durationMs: mostly(
          fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
          fc.oneof(fc.double({ max: -0.001 }), text),
        ),
        extra: fc.jsonValue({ maxDepth: 4 }),
        label: text,
      },
      { requiredKeys: ['source', 'timestamp'] },
    );
    let acceptedCount = 0;
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: item, weight: 9 }, { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 }),
        (value) => {
          const result = normalizeEvent(value, context);
          if (!result.ok) return result.error.length > 0;
          acceptedCount += 1;
          const wire = onTheWire(result.event);
          return (
            eventProblem(wire) === undefined &&
            JSON.stringify(wire) === JSON.stringify(result.event) &&
            !/[\u0000\uD800-\uDFFF]/u.test(JSON.stringify(wire))
          );
        },
      ),
      { numRuns: 500 },
    );
    // the property is about accepted events: make sure there were plenty
    expect(acceptedCount).toBeGreaterThan(100);
  });
});
