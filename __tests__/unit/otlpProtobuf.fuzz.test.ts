/**
 * The OTLP protobuf decoder under generated input (fast-check): random bytes and random mutations
 * of real SDK bodies never make it throw, only answer `{ ok: true, request }` or `{ ok: false,
 * message }`; any AnyValue the logs SDK takes comes back as the model's plain JSON; unknown fields
 * around a body change nothing; and random limits are either respected or named in the refusal.
 * Bounded runs (a few thousand cases, a few seconds). No services needed.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { AnyValue } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import type { OtlpDecodeResult, OtlpSignal, OtlpValue } from '../../lib/otlp/model';
import { decodeOtlpProtobuf } from '../../lib/otlp/protobuf/decode';

const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];
const RUNS = { numRuns: 2_000, interruptAfterTimeLimit: 10_000 };

function traceBody(): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fuzz', '1.0.0');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER, attributes: { a: 'x', b: [1, 2], c: 1.5 } });
  const child = tracer.startSpan(
    'child',
    { links: [{ context: parent.spanContext(), attributes: { l: true } }] },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('event', { e: 'y' });
  child.end();
  parent.end();
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array;
}

function logsBody(values: AnyValue[]): { bytes: Uint8Array; bodies: AnyValue[] } {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('fuzz');
  for (const body of values) logger.emit({ body, attributes: { body: body as never } });
  const records = exporter.getFinishedLogRecords();
  return {
    bytes: ProtobufLogsSerializer.serializeRequest(records) as Uint8Array,
    bodies: records.map((record) => record.body),
  };
}

const isInt64 = (value: number): boolean => Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63;

/** What the model holds for an AnyValue the SDK was given. */
function modelValue(value: unknown): OtlpValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(modelValue);
  // otlp-transformer's rule: an integer within int64 goes as int_value, any other number as double_value.
  if (typeof value === 'number') return isInt64(value) ? BigInt(value).toString() : value;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, modelValue(item)]));
  }
  return value as string | boolean;
}

function expectWellFormed(result: OtlpDecodeResult, signal: OtlpSignal): void {
  if (result.ok) expect(result.request.signal).toBe(signal);
  else expect(typeof result.message).toBe('string');
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

const interestingByte = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12),
  fc.integer({ min: 0, max: 255 }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: interestingByte }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Array.from(original);
  for (const change of mutations) {
    const at = bytes.length === 0 ? 0 : change.at % bytes.length;
    if (change.kind === 'set') bytes[at] = change.value;
    else if (change.kind === 'insert') bytes.splice(at, 0, ...change.bytes);
    else if (change.kind === 'delete') bytes.splice(at, change.count);
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}

/** AnyValues the logs SDK takes: scalars, bytes, arrays and maps nested a few levels. */
const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('decodeOtlpProtobuf under generated input', () => {
  const real = traceBody();
  const logs = logsBody(['text', { nested: [1, 'two', { three: 3.5 }] }, new Uint8Array([1, 2, 3])]).bytes;

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.constantFrom(...SIGNALS), (bytes, signal) => {
        expectWellFormed(decodeOtlpProtobuf(bytes, signal), signal);
      }),
      RUNS,
    );
  });

  it('never throws on random mutations of real trace and log bodies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[OtlpSignal, Uint8Array]>(['traces', real], ['logs', logs]),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        ([signal, original], mutations) => {
          const bytes = mutate(original, mutations);
          expectWellFormed(decodeOtlpProtobuf(bytes, signal), signal);
          // Read as another signal's request, the same bytes must still only succeed or fail.
          expectWellFormed(decodeOtlpProtobuf(bytes, 'metrics'), 'metrics');
        },
      ),
      RUNS,
    );
  });

  it("gives back any AnyValue the SDK encodes, as the model's plain JSON", () => {
    fc.assert(
      fc.property(fc.array(anyValue, { minLength: 1, maxLength: 3 }), (values) => {
        const { bytes, bodies } = logsBody(values);
        const result = decodeOtlpProtobuf(bytes, 'logs');
        if (!result.ok) throw new Error(result.message);
        const records = result.request.resourceLogs.flatMap((resource) =>
          resource.scopeLogs.flatMap((scope) => scope.logRecords),
        );
        // A null body goes as an empty AnyValue, which the model reads as no body (model.ts says why).
        expect(records.map((record) => record.body)).toEqual(
          bodies.map((body) => (body === null ? undefined : modelValue(body))),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('ignores unknown fields of any wire type around a body', () => {
    const expected = decodeOtlpProtobuf(real, 'traces');
    const unknownField = fc.oneof(
      fc.tuple(fc.integer({ min: 2, max: 2 ** 29 - 1 }), fc.constant(0), fc.uint8Array({ minLength: 1, maxLength: 1 })),
      fc.tuple(fc.integer({ min: 2, max: 2 ** 29 - 1 }), fc.constant(1), fc.uint8Array({ minLength: 8, maxLength: 8 })),
      fc.tuple(fc.integer({ min: 2, max: 2 ** 29 - 1 }), fc.constant(2), fc.uint8Array({ maxLength: 20 })),
      fc.tuple(fc.integer({ min: 2, max: 2 ** 29 - 1 }), fc.constant(5), fc.uint8Array({ minLength: 4, maxLength: 4 })),
    );
    const encode = ([field, wireType, payload]: [number, number, Uint8Array]): number[] => {
      const varint = (value: number): number[] => {
        const out: number[] = [];
        let rest = value;
        while (rest > 0x7f) {
          out.push((rest % 128) | 0x80);
          rest = Math.floor(rest / 128);
        }
        return [...out, rest];
      };
      const value =
        wireType === 0
          ? [(payload[0] ?? 0) & 0x7f]
          : wireType === 2
            ? [...varint(payload.length), ...payload]
            : [...payload];
      return [...varint(field * 8 + wireType), ...value];
    };
    fc.assert(
      fc.property(
        fc.array(unknownField, { maxLength: 3 }),
        fc.array(unknownField, { maxLength: 3 }),
        (before, after) => {
          const bytes = Uint8Array.from([...before.flatMap(encode), ...real, ...after.flatMap(encode)]);
          expect(decodeOtlpProtobuf(bytes, 'traces')).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('respects random limits, or names the one it refuses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 60 }),
        (maxItems, maxValueDepth, maxMessages) => {
          const result = decodeOtlpProtobuf(real, 'traces', { maxItems, maxValueDepth, maxMessages });
          if (result.ok) {
            const spans = result.request.resourceSpans.flatMap((resource) =>
              resource.scopeSpans.flatMap((s) => s.spans),
            );
            expect(spans.length).toBeLessThanOrEqual(maxItems);
          } else expect(result.message).toMatch(/maxItems|maxValueDepth|maxMessages/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
