/**
 * One model for both encodings: the same spans, log records and metrics, made with the real
 * OpenTelemetry SDKs and serialized by @opentelemetry/otlp-transformer's Protobuf*Serializer and
 * Json*Serializer (what the http/protobuf and http/json exporters send), decode to deeply equal
 * requests with `decodeOtlpProtobuf` and `decodeOtlpJson`, and so map to the same events: the same
 * content-hash ids and the same payloads. The two serializers write defaults differently (protobuf
 * `dropped_attributes_count = 0`, `status { code: 0 }`; JSON `"attributes": []`, `"body": {}`);
 * lib/otlp/model.ts's normal form is what makes the models meet. Where the serializers write
 * different data (JSON has no NaN), the one exception is named and checked on its own. Last, both
 * decoders count embedded messages alike, and refuse a body of a million empty ones. No services.
 */
import { context, type HrTime, SpanKind, SpanStatusCode, TraceFlags, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { TraceState } from '@opentelemetry/core';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpJson } from '../../lib/otlp/json/decode';
import {
  DEFAULT_DECODE_LIMITS,
  type OtlpDecodeLimits,
  type OtlpDecodeResult,
  type OtlpRequest,
  type OtlpSignal,
  type OtlpSpan,
} from '../../lib/otlp/model';
import { decodeOtlpProtobuf } from '../../lib/otlp/protobuf/decode';
import { otlpItems } from '../../lib/otlp/toItems';

// ---- helpers ------------------------------------------------------------------------------------

/** What a serializer wrote (its type allows undefined, for a failure it reports elsewhere). */
function written(bytes: Uint8Array | undefined): Uint8Array {
  if (bytes === undefined) throw new Error('the serializer wrote nothing');
  return bytes;
}

function request(result: OtlpDecodeResult): OtlpRequest {
  if (!result.ok) throw new Error(`expected a request, got: ${result.message}`);
  return result.request;
}

/** The same data as both encodings carry it, decoded by each decoder. */
interface Twins {
  protobuf: OtlpRequest;
  json: OtlpRequest;
  bodies: { protobuf: Uint8Array; json: Uint8Array };
}

function twins(signal: OtlpSignal, protobuf: Uint8Array | undefined, json: Uint8Array | undefined): Twins {
  const bodies = { protobuf: written(protobuf), json: written(json) };
  return {
    protobuf: request(decodeOtlpProtobuf(bodies.protobuf, signal)),
    json: request(decodeOtlpJson(bodies.json, signal)),
    bodies,
  };
}

/**
 * Asserts what this file is for: deeply equal models (toStrictEqual: a field set to undefined in one
 * and missing in the other would count as a difference too), then equal events, ids included.
 */
function expectSameModelAndEvents({ protobuf, json }: Twins): void {
  expect(json).toStrictEqual(protobuf);
  const fromProtobuf = otlpItems(protobuf, { idScope: 'x' });
  const fromJson = otlpItems(json, { idScope: 'x' });
  expect(fromProtobuf.length).toBeGreaterThan(0);
  expect(fromProtobuf.every((item) => item.ok)).toBe(true);
  expect(fromJson).toStrictEqual(fromProtobuf);
}

/** Either decoder, called with explicit limits. */
type Decoder = (body: Uint8Array, signal: OtlpSignal, limits: OtlpDecodeLimits) => OtlpDecodeResult;

/** The fewest `maxMessages` a decoder takes the body with: how many embedded messages it counts. */
function messageCount(decode: Decoder, body: Uint8Array, signal: OtlpSignal): number {
  let low = 0;
  let high = DEFAULT_DECODE_LIMITS.maxMessages;
  expect(decode(body, signal, DEFAULT_DECODE_LIMITS).ok).toBe(true);
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (decode(body, signal, { ...DEFAULT_DECODE_LIMITS, maxMessages: middle }).ok) high = middle;
    else low = middle + 1;
  }
  const refused = decode(body, signal, { ...DEFAULT_DECODE_LIMITS, maxMessages: low - 1 });
  expect(refused).toMatchObject({ ok: false, message: expect.stringContaining(`maxMessages (${low - 1})`) });
  return low;
}

const START: HrTime = [1_767_225_600, 123_456_789]; // 2026-01-01T00:00:00.123456789Z
const at = (offsetNanos: number): HrTime => [START[0], START[1] + offsetNanos];
const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.instance.count': 3,
  'deployment.canary': false,
});

// ---- traces -------------------------------------------------------------------------------------

/** Spans of every kind and status, attributes of every kind, events and links, limits that drop some. */
function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    // Small enough for one span to drop attributes, events and links: the dropped counts are then non-zero.
    spanLimits: { attributeCountLimit: 16, eventCountLimit: 2, linkCountLimit: 2 },
  });
  const tracer = provider.getTracer('checkout-tracer', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  });
  const remote = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=a1,other=b2'),
  };
  // A server span continuing a remote trace: parent id, trace state, the is_remote flags.
  const server = tracer.startSpan(
    'POST /cart',
    { kind: SpanKind.SERVER, startTime: START },
    trace.setSpanContext(context.active(), remote),
  );
  const child = tracer.startSpan(
    'SELECT cart',
    {
      kind: SpanKind.CLIENT,
      startTime: at(1_000),
      attributes: {
        'db.system': 'postgresql',
        'db.statement': '',
        'db.rows': 42,
        'db.zero': 0,
        'db.negative': -7,
        'db.big': 2 ** 60,
        'db.ratio': 0.25,
        'db.negative.ratio': -1.5e-9,
        'db.cached': false,
        'db.pooled': true,
        'db.tags': ['a', '', 'b'],
        'db.ports': [5432, 0, 6432],
        'db.weights': [1.5, 0.5],
        'db.flags': [true, false],
        'db.none': [],
      },
      links: [{ context: server.spanContext(), attributes: { 'link.reason': 'follows' } }, { context: remote }],
    },
    trace.setSpan(context.active(), server),
  );
  child.addEvent('retry', { attempt: 2, 'retry.delay': 0.5, 'retry.final': false }, at(5_000));
  child.addEvent('no attributes', at(6_000));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
  child.end([START[0] + 1, 0]);
  // Over every limit: 20 attributes (16 kept), 3 events (2 kept), 3 links (2 kept).
  const crowded = tracer.startSpan(
    'crowded',
    {
      kind: SpanKind.INTERNAL,
      startTime: at(2_000),
      attributes: Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`a${index}`, index])),
      links: [{ context: remote }, { context: remote }, { context: remote }],
    },
    trace.setSpan(context.active(), server),
  );
  for (const name of ['one', 'two', 'three']) crowded.addEvent(name, at(3_000));
  crowded.setStatus({ code: SpanStatusCode.OK });
  crowded.end(at(4_000));
  // The other kinds, statuses left unset (the SDK still writes `status { code: 0 }`).
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER])
    tracer.startSpan(`kind ${kind}`, { kind, startTime: at(7_000) }).end(at(8_000));
  server.setStatus({ code: SpanStatusCode.UNSET });
  server.end([START[0] + 2, 999_999_999]);
  // A second scope, without version or schema.
  provider
    .getTracer('plain')
    .startSpan('plain', { startTime: at(9_000) })
    .end(at(9_500));
  return exporter.getFinishedSpans();
}

describe('traces: the SDK serializers, both decoders', () => {
  const spans = makeSpans();
  const decoded = twins(
    'traces',
    ProtobufTraceSerializer.serializeRequest(spans),
    JsonTraceSerializer.serializeRequest(spans),
  );

  it('decode to the same request, and map to the same events', () => {
    expectSameModelAndEvents(decoded);
    expect(decoded.protobuf.signal === 'traces' && decoded.protobuf.resourceSpans[0]?.scopeSpans).toHaveLength(2);
  });

  it('hold the normal form: explicit zeros gone, required fields at their defaults, status kept', () => {
    if (decoded.protobuf.signal !== 'traces') throw new Error('not traces');
    const all = decoded.protobuf.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const named = (name: string): OtlpSpan | undefined => all.find((span) => span.name === name);
    const child = named('SELECT cart');
    // protobuf wrote dropped_*_count = 0 and JSON "droppedAttributesCount": 0 on every span: absent.
    expect(child).not.toHaveProperty('droppedAttributesCount');
    expect(child).not.toHaveProperty('droppedEventsCount');
    expect(child?.events?.[1]).toStrictEqual({ timeUnixNano: expect.any(String), name: 'no attributes' });
    expect(child?.links?.[1]).toStrictEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceState: 'vendor=a1,other=b2',
      flags: 0x301,
    });
    // AnyValue variants are a oneof: '', 0 and false are values.
    expect(child?.attributes).toMatchObject({ 'db.statement': '', 'db.zero': '0', 'db.cached': false, 'db.none': [] });
    expect(child?.status).toStrictEqual({ code: 2, message: 'connection reset' });
    // An unset status is sent as `status { code: 0 }` (protobuf) and {"code":0} (JSON): `{}`.
    expect(named('POST /cart')?.status).toStrictEqual({});
    expect(named('POST /cart')).toMatchObject({ parentSpanId: 'b7ad6b7169203331', traceState: 'vendor=a1,other=b2' });
    expect(named('crowded')).toMatchObject({
      kind: 1,
      droppedAttributesCount: 4,
      droppedEventsCount: 1,
      droppedLinksCount: 1,
      status: { code: 1 },
    });
  });

  it('count the same embedded messages', () => {
    const { bodies } = decoded;
    expect(messageCount(decodeOtlpJson, bodies.json, 'traces')).toBe(
      messageCount(decodeOtlpProtobuf, bodies.protobuf, 'traces'),
    );
  });
});

describe('traces: the one place the SDK serializers write different data', () => {
  // JSON has no NaN or infinities: JSON.stringify writes `"doubleValue": null`, which is an empty
  // AnyValue (null), while protobuf carries the IEEE 754 value. Each decoder gives exactly what its
  // body holds; a JSON body that writes "NaN" and "Infinity" as proto3 JSON says gives the numbers.
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const special = { 'x.nan': Number.NaN, 'x.inf': Number.POSITIVE_INFINITY, 'x.ninf': Number.NEGATIVE_INFINITY };
  provider
    .getTracer('special')
    .startSpan('special', { startTime: START, attributes: { ...special, 'x.ok': 1.5 } })
    .end(at(1));
  const spans = exporter.getFinishedSpans();
  const decoded = twins(
    'traces',
    ProtobufTraceSerializer.serializeRequest(spans),
    JsonTraceSerializer.serializeRequest(spans),
  );
  const attributesOf = (model: OtlpRequest) =>
    model.signal === 'traces' ? model.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes : undefined;

  it('NaN and ±Infinity attributes: numbers from protobuf, null from the JSON serializer; all else equal', () => {
    expect(attributesOf(decoded.protobuf)).toStrictEqual({ ...special, 'x.ok': 1.5 });
    expect(attributesOf(decoded.json)).toStrictEqual({ 'x.nan': null, 'x.inf': null, 'x.ninf': null, 'x.ok': 1.5 });
    // Only those three values differ: with them set alike, the requests are equal.
    const json = structuredClone(decoded.json);
    const attributes = attributesOf(json);
    if (attributes === undefined) throw new Error('no span');
    Object.assign(attributes, special);
    expect(json).toStrictEqual(decoded.protobuf);
  });

  it('a JSON body with the proto3 JSON strings decodes as protobuf does', () => {
    const text = new TextDecoder().decode(decoded.bodies.json);
    const fixed = text
      .replace('{"key":"x.nan","value":{"doubleValue":null}}', '{"key":"x.nan","value":{"doubleValue":"NaN"}}')
      .replace('{"key":"x.inf","value":{"doubleValue":null}}', '{"key":"x.inf","value":{"doubleValue":"Infinity"}}')
      .replace('{"key":"x.ninf","value":{"doubleValue":null}}', '{"key":"x.ninf","value":{"doubleValue":"-Infinity"}}');
    expect(fixed).not.toContain('null');
    expectSameModelAndEvents({ ...decoded, json: request(decodeOtlpJson(Buffer.from(fixed), 'traces')) });
  });
});

// ---- logs ---------------------------------------------------------------------------------------

function makeLogRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('checkout-logger', '0.1.0', { attributes: { 'scope.team': 'payments' } });
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  const inSpan = trace.setSpanContext(context.active(), spanContext);
  logger.emit({
    timestamp: START,
    observedTimestamp: at(7),
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    eventName: 'checkout.failed',
    body: {
      message: 'payment declined',
      amount: 12.5,
      items: 3,
      zero: 0,
      retried: false,
      raw: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      empty: new Uint8Array(0),
      history: [1, 'two', [3.5, false], { deep: { deeper: ['x'] } }, []],
      nothing: null,
      none: {},
    },
    attributes: { 'user.id': 'u-1', 'cart.items': [{ sku: 'A1', qty: 2 }], 'cart.total': 25, 'cart.empty': '' },
    context: inSpan,
  });
  // Bodies of each scalar kind, their defaults included (an AnyValue variant has presence).
  const bodies = ['plain text', '', 42, 0, -0.5, true, false, new Uint8Array([1, 2, 3]), ['a', 1], null];
  for (const [index, body] of bodies.entries())
    logger.emit({ timestamp: at(100 + index), body, severityNumber: SeverityNumber.INFO, context: inSpan });
  // No body, no severity, no attributes, no trace context.
  logger.emit({ timestamp: at(200) });
  provider.getLogger('other').emit({ timestamp: at(300), body: 'from another scope', severityText: 'debug' });
  return exporter.getFinishedLogRecords();
}

describe('logs: the SDK serializers, both decoders', () => {
  const records = makeLogRecords();
  const decoded = twins(
    'logs',
    ProtobufLogsSerializer.serializeRequest(records),
    JsonLogsSerializer.serializeRequest(records),
  );
  const logRecords = () =>
    decoded.protobuf.signal === 'logs'
      ? decoded.protobuf.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords))
      : [];

  it('decode to the same request, and map to the same events', () => {
    expectSameModelAndEvents(decoded);
    expect(logRecords()).toHaveLength(records.length);
  });

  it('hold the normal form: scalar bodies at their defaults kept, an empty body and zero counts gone', () => {
    expect(logRecords().map((record) => record.body)).toStrictEqual([
      expect.objectContaining({ zero: '0', retried: false, empty: '', nothing: null, none: {} }),
      'plain text',
      '',
      '42',
      '0',
      -0.5,
      true,
      false,
      'AQID',
      ['a', '1'],
      // The SDK's protobuf serializer writes an empty AnyValue for a null body, and nothing for none;
      // its JSON serializer writes "body": {} for both: in the model, both are no body.
      undefined,
      undefined,
      'from another scope',
    ]);
    const [first] = logRecords();
    expect(first).not.toHaveProperty('droppedAttributesCount');
    expect(logRecords()[11]).toStrictEqual({
      timeUnixNano: expect.any(String),
      observedTimeUnixNano: expect.any(String),
    });
  });

  it('count the same embedded messages, but for the empty bodies only JSON writes', () => {
    const { bodies } = decoded;
    // The JSON serializer writes "body": {} for the record without a body (protobuf: no field).
    expect(messageCount(decodeOtlpJson, bodies.json, 'logs')).toBe(
      messageCount(decodeOtlpProtobuf, bodies.protobuf, 'logs') + 1,
    );
  });
});

// ---- metrics ------------------------------------------------------------------------------------

class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function makeResourceMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: ['payload.size', 'zero.size'].map((instrumentName) => ({
      instrumentName,
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
    })),
  });
  const meter = provider.getMeter('checkout-meter', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const orders = meter.createCounter('orders', { valueType: ValueType.INT, unit: '{order}', description: 'orders' });
  orders.add(5, { region: 'eu' });
  // A point of value 0 (asInt is a oneof member: kept) and one without attributes.
  orders.add(0, { region: 'us' });
  orders.add(2);
  meter.createCounter('revenue').add(12.25, { currency: 'EUR' });
  meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT }).add(-3);
  meter.createUpDownCounter('balance').add(0);
  const latency = meter.createHistogram('latency', {
    unit: 'ms',
    advice: { explicitBucketBoundaries: [10, 100, 1000] },
  });
  for (const value of [5, 50, 60, 5000]) latency.record(value, { route: '/cart' });
  // All zeros: sum, min and max are `optional`, so 0 is kept; the empty buckets are counts of 0.
  latency.record(0, { route: '/idle' });
  meter.createGauge('temperature').record(21.5, { room: 'a' });
  meter.createGauge('level').record(0);
  const sizes = meter.createHistogram('payload.size');
  for (const value of [1, 2, 4, 8, 0]) sizes.record(value);
  // Only zeros: no positive or negative bucket, yet both messages are sent (and kept, as `{}`).
  meter.createHistogram('zero.size').record(0);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

describe('metrics: the SDK serializers, both decoders', () => {
  let decoded: Twins;
  beforeAll(async () => {
    const resourceMetrics = await makeResourceMetrics();
    decoded = twins(
      'metrics',
      ProtobufMetricsSerializer.serializeRequest(resourceMetrics),
      JsonMetricsSerializer.serializeRequest(resourceMetrics),
    );
  });
  const metric = (name: string) =>
    decoded.protobuf.signal === 'metrics'
      ? decoded.protobuf.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((candidate) => candidate.name === name)
      : undefined;

  it('decode to the same request, and map to the same events', () => {
    expectSameModelAndEvents(decoded);
  });

  it('hold the normal form: values with presence kept at 0, the rest of the zeros gone', () => {
    expect(metric('orders')?.dataPoints.map((point) => point.asInt)).toStrictEqual(['5', '0', '2']);
    expect(metric('orders')?.dataPoints[2]).not.toHaveProperty('attributes');
    expect(metric('balance')?.dataPoints[0]?.asDouble).toBe(0);
    expect(metric('level')?.dataPoints[0]?.asDouble).toBe(0);
    const idle = metric('latency')?.dataPoints.find((point) => point.attributes?.route === '/idle');
    expect(idle).toMatchObject({ count: '1', sum: 0, min: 0, max: 0, bucketCounts: ['1', '0', '0', '0'] });
    const zero = metric('zero.size')?.dataPoints[0];
    expect(zero).toMatchObject({ count: '1', sum: 0, min: 0, max: 0, zeroCount: '1', positive: {}, negative: {} });
    expect(metric('payload.size')?.dataPoints[0]).toMatchObject({ zeroCount: '1', negative: {} });
  });

  it('count the same embedded messages', () => {
    const { bodies } = decoded;
    expect(messageCount(decodeOtlpJson, bodies.json, 'metrics')).toBe(
      messageCount(decodeOtlpProtobuf, bodies.protobuf, 'metrics'),
    );
  });
});

// ---- hand-built twins: what the SDKs never write ------------------------------------------------

// A naive protobuf writer (BigInt everywhere), separate from the code under test.
type Bytes = number[];
function varint(value: number | bigint): Bytes {
  let rest = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return out;
}
const tag = (field: number, wireType: number): Bytes => varint(field * 8 + wireType);
const len = (field: number, ...content: Bytes[]): Bytes => {
  const inner = content.flat();
  return [...tag(field, 2), ...varint(inner.length), ...inner];
};
const str = (field: number, text: string): Bytes => len(field, [...Buffer.from(text, 'utf8')]);
const uint = (field: number, value: number | bigint): Bytes => [...tag(field, 0), ...varint(value)];
const fixed64 = (field: number, value: bigint): Bytes => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt.asUintN(64, value));
  return [...tag(field, 1), ...bytes];
};
const double = (field: number, value: number): Bytes => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return [...tag(field, 1), ...bytes];
};
const fixed32 = (field: number, value: number): Bytes => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return [...tag(field, 5), ...bytes];
};
const message = (...parts: Bytes[]): Uint8Array => Uint8Array.from(parts.flat());
/** `{ resource: { dropped 0 }, scope: { name '', version '', dropped 0 }, schema_url '' }` around the items. */
const envelope = (items: Bytes[]): Bytes =>
  len(1, len(1, uint(2, 0)), len(2, len(1, str(1, ''), str(2, ''), uint(4, 0)), ...items, str(3, '')), str(3, ''));

const TRACE_ID = '0102030405060708090a0b0c0d0e0f10';
const SPAN_ID = 'a0a1a2a3a4a5a6a7';
const hex = (text: string): Bytes => [...Buffer.from(text, 'hex')];
const jsonEnvelope = (key: 'spans' | 'logRecords' | 'metrics', items: object[]) => ({
  resource: { attributes: [], droppedAttributesCount: 0 },
  schemaUrl: '',
  [key === 'spans' ? 'scopeSpans' : key === 'logRecords' ? 'scopeLogs' : 'scopeMetrics']: [
    { scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', [key]: items },
  ],
});
const jsonBody = (value: object): Uint8Array => Buffer.from(JSON.stringify(value));

describe('hand-built twins: every field at its default, sent explicitly', () => {
  const sameIn = (signal: OtlpSignal, protobuf: Uint8Array, json: Uint8Array): OtlpRequest => {
    const fromProtobuf = request(decodeOtlpProtobuf(protobuf, signal));
    expect(request(decodeOtlpJson(json, signal))).toStrictEqual(fromProtobuf);
    expect(otlpItems(request(decodeOtlpJson(json, signal)), { idScope: 'x' })).toStrictEqual(
      otlpItems(fromProtobuf, { idScope: 'x' }),
    );
    return fromProtobuf;
  };
  const envelopeModel = { resource: { attributes: {} } };

  it('a span: the defaults without presence are gone, the status kept as {}', () => {
    const protobuf = message(
      envelope([
        len(
          2,
          len(1, hex(TRACE_ID)),
          len(2, hex(SPAN_ID)),
          str(3, ''),
          len(4),
          str(5, ''),
          uint(6, 0),
          fixed64(7, 1n),
          fixed64(8, 0n),
          uint(10, 0),
          len(11, fixed64(1, 0n), str(2, ''), uint(4, 0)),
          uint(12, 0),
          len(13, len(1), len(2), str(3, ''), uint(5, 0), fixed32(6, 0)),
          uint(14, 0),
          len(15, str(2, ''), uint(3, 0)),
          fixed32(16, 0),
        ),
      ]),
    );
    const json = jsonBody({
      resourceSpans: [
        jsonEnvelope('spans', [
          {
            traceId: TRACE_ID,
            spanId: SPAN_ID,
            traceState: '',
            parentSpanId: '',
            name: '',
            kind: 0,
            startTimeUnixNano: '1',
            endTimeUnixNano: '0',
            attributes: [],
            droppedAttributesCount: 0,
            events: [{ timeUnixNano: 0, name: '', attributes: [], droppedAttributesCount: 0 }],
            droppedEventsCount: 0,
            links: [{ traceId: '', spanId: '', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }],
            droppedLinksCount: 0,
            status: { message: '', code: 0 },
            flags: 0,
          },
        ]),
      ],
    });
    expect(sameIn('traces', protobuf, json)).toStrictEqual({
      signal: 'traces',
      resourceSpans: [
        {
          ...envelopeModel,
          scopeSpans: [
            {
              scope: {},
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  name: '',
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '0',
                  events: [{ timeUnixNano: '0', name: '' }],
                  links: [{ traceId: '', spanId: '' }],
                  status: {},
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('log records: an empty body is no body; every AnyValue variant at its zero is a value', () => {
    const record = (...body: Bytes[]): Bytes =>
      len(
        2,
        fixed64(1, 0n),
        fixed64(11, 5n),
        uint(2, 0),
        str(3, ''),
        len(5, ...body),
        uint(7, 0),
        fixed32(8, 0),
        len(9),
        len(10),
        str(12, ''),
      );
    const protobuf = message(
      envelope([
        record(),
        record(str(1, '')),
        record(uint(2, 0)),
        record(uint(3, 0)),
        record(double(4, 0)),
        record(double(4, -0)),
        record(double(4, Number.NaN)),
        record(double(4, Number.NEGATIVE_INFINITY)),
        record(len(7)),
        record(len(5)),
        record(len(6)),
        record(len(5, len(1), len(1, double(4, 0)))),
      ]),
    );
    const jsonRecord = (body: object) => ({
      timeUnixNano: '0',
      observedTimeUnixNano: 5,
      severityNumber: 0,
      severityText: '',
      body,
      attributes: [],
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '',
      spanId: '',
      eventName: '',
    });
    const json = jsonBody({
      resourceLogs: [
        jsonEnvelope(
          'logRecords',
          [
            {},
            { stringValue: '' },
            { boolValue: false },
            { intValue: '0' },
            { doubleValue: 0 },
            { doubleValue: '-0' },
            { doubleValue: 'NaN' },
            { doubleValue: '-Infinity' },
            { bytesValue: '' },
            { arrayValue: {} },
            { kvlistValue: { values: [] } },
            { arrayValue: { values: [{}, { doubleValue: 0 }] } },
          ].map(jsonRecord),
        ),
      ],
    });
    const model = sameIn('logs', protobuf, json);
    const records = model.signal === 'logs' ? (model.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? []) : [];
    expect(records.map((log) => log.body)).toStrictEqual([
      undefined,
      '',
      false,
      '0',
      0,
      -0,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      '',
      [],
      {},
      [null, 0],
    ]);
    expect(records[0]).toStrictEqual({ observedTimeUnixNano: '5' });
  });

  it('metrics: oneof and optional values at 0 kept, -0 and NaN kept, every other zero gone', () => {
    const exemplar = len(5, fixed64(2, 0n), fixed64(6, 0n), len(4), len(5));
    const protobuf = message(
      envelope([
        len(
          2,
          str(1, 'sum'),
          str(2, ''),
          str(3, ''),
          len(
            7,
            len(1, fixed64(2, 0n), fixed64(3, 9n), fixed64(6, 0n), uint(8, 0), exemplar),
            len(1, fixed64(3, 9n), double(4, 0)),
            len(1, fixed64(3, 9n), double(4, -0)),
            len(1, fixed64(3, 9n), double(4, Number.NaN)),
            uint(2, 0),
            uint(3, 0),
          ),
        ),
        len(
          2,
          str(1, 'histogram'),
          len(
            9,
            len(
              1,
              fixed64(3, 9n),
              fixed64(4, 0n),
              double(5, 0),
              len(6),
              len(7),
              uint(10, 0),
              double(11, 0),
              double(12, -0),
            ),
            len(1, fixed64(3, 9n)),
            uint(2, 0),
          ),
        ),
        len(
          2,
          str(1, 'exponential'),
          len(
            10,
            len(
              1,
              fixed64(3, 9n),
              fixed64(4, 0n),
              double(5, 0),
              uint(6, 0),
              fixed64(7, 0n),
              len(8, uint(1, 0), len(2)),
              len(9),
              double(14, 0),
              double(12, 0),
              double(13, Number.POSITIVE_INFINITY),
            ),
          ),
        ),
        len(
          2,
          str(1, 'summary'),
          len(
            11,
            len(
              1,
              fixed64(3, 9n),
              fixed64(4, 0n),
              double(5, 0),
              len(6, double(1, 0), double(2, 0)),
              len(6, double(1, -0)),
              uint(8, 0),
            ),
          ),
        ),
      ]),
    );
    const json = jsonBody({
      resourceMetrics: [
        jsonEnvelope('metrics', [
          {
            name: 'sum',
            description: '',
            unit: '',
            metadata: [],
            sum: {
              dataPoints: [
                {
                  attributes: [],
                  startTimeUnixNano: 0,
                  timeUnixNano: '9',
                  asInt: 0,
                  flags: 0,
                  exemplars: [{ filteredAttributes: [], timeUnixNano: '0', asInt: '0', spanId: '', traceId: '' }],
                },
                { timeUnixNano: '9', asDouble: 0, exemplars: [] },
                { timeUnixNano: '9', asDouble: '-0' },
                { timeUnixNano: '9', asDouble: 'NaN' },
              ],
              aggregationTemporality: 0,
              isMonotonic: false,
            },
          },
          {
            name: 'histogram',
            histogram: {
              dataPoints: [
                {
                  timeUnixNano: '9',
                  count: '0',
                  sum: 0,
                  bucketCounts: [],
                  explicitBounds: [],
                  flags: 0,
                  min: 0,
                  max: '-0',
                },
                { timeUnixNano: '9' },
              ],
              aggregationTemporality: 0,
            },
          },
          {
            name: 'exponential',
            exponentialHistogram: {
              dataPoints: [
                {
                  timeUnixNano: '9',
                  count: 0,
                  sum: 0,
                  scale: 0,
                  zeroCount: '0',
                  positive: { offset: 0, bucketCounts: [] },
                  negative: {},
                  zeroThreshold: 0,
                  min: 0,
                  max: 'Infinity',
                },
              ],
            },
          },
          {
            name: 'summary',
            summary: {
              dataPoints: [
                {
                  timeUnixNano: '9',
                  count: '0',
                  sum: 0,
                  quantileValues: [{ quantile: 0, value: 0 }, { quantile: '-0' }],
                  flags: 0,
                },
              ],
            },
          },
        ]),
      ],
    });
    const model = sameIn('metrics', protobuf, json);
    const metrics = model.signal === 'metrics' ? model.resourceMetrics[0]?.scopeMetrics[0]?.metrics : undefined;
    expect(metrics).toStrictEqual([
      {
        name: 'sum',
        kind: 'sum',
        dataPoints: [
          { timeUnixNano: '9', asInt: '0', exemplars: [{ asInt: '0' }] },
          { timeUnixNano: '9', asDouble: 0 },
          { timeUnixNano: '9', asDouble: -0 },
          { timeUnixNano: '9', asDouble: Number.NaN },
        ],
      },
      {
        name: 'histogram',
        kind: 'histogram',
        dataPoints: [{ timeUnixNano: '9', sum: 0, min: 0, max: -0 }, { timeUnixNano: '9' }],
      },
      {
        name: 'exponential',
        kind: 'exponentialHistogram',
        dataPoints: [{ timeUnixNano: '9', sum: 0, positive: {}, negative: {}, min: 0, max: Number.POSITIVE_INFINITY }],
      },
      {
        name: 'summary',
        kind: 'summary',
        // a summary's sum has no presence: 0 is gone; -0 is a double's value, not its default
        dataPoints: [{ timeUnixNano: '9', quantileValues: [{}, { quantile: -0 }] }],
      },
    ]);
  });
});

// ---- maxMessages --------------------------------------------------------------------------------

describe('maxMessages: the same bound in both decoders', () => {
  /** `ExportTraceServiceRequest { resource_spans { scope_spans {} × count } }`: two bytes a scope. */
  function emptyScopesProtobuf(count: number): Uint8Array {
    const inner = new Uint8Array(2 * count);
    for (let index = 0; index < count; index++) inner[2 * index] = 0x12; // field 2, wire type 2, length 0
    const length: number[] = [];
    for (let rest = inner.length; ; rest = Math.floor(rest / 128)) {
      if (rest < 128) {
        length.push(rest);
        break;
      }
      length.push((rest % 128) | 0x80);
    }
    const bytes = new Uint8Array(1 + length.length + inner.length);
    bytes.set([0x0a, ...length]);
    bytes.set(inner, 1 + length.length);
    return bytes;
  }
  const emptyScopesJson = (count: number): Uint8Array =>
    Buffer.from(`{"resourceSpans":[{"scopeSpans":[${Array<string>(count).fill('{}').join(',')}]}]}`);

  it('refuses a million empty scopeSpans in either encoding, naming the limit', () => {
    const limit = DEFAULT_DECODE_LIMITS.maxMessages;
    // The resource's ResourceSpans is the first message, so scope `limit - 1` is one too many.
    expect(decodeOtlpProtobuf(emptyScopesProtobuf(1_000_000), 'traces')).toStrictEqual({
      ok: false,
      message: `resourceSpans[0].scopeSpans[${limit - 1}]: more than maxMessages (${limit}) embedded messages (at byte ${2 * limit + 2})`,
    });
    expect(decodeOtlpJson(emptyScopesJson(1_000_000), 'traces')).toStrictEqual({
      ok: false,
      message: `resourceSpans[0].scopeSpans: more than maxMessages (${limit}) embedded messages`,
    });
  });

  it('takes exactly as many empty messages as the limit allows, in both', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxMessages: 1_000 };
    for (const [body, decode] of [
      [emptyScopesProtobuf, decodeOtlpProtobuf],
      [emptyScopesJson, decodeOtlpJson],
    ] as const) {
      expect(decode(body(999), 'traces', limits).ok).toBe(true);
      expect(decode(body(1_000), 'traces', limits)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/maxMessages \(1000\)/),
      });
    }
  });

  it('takes a legitimate request of 10,000 spans with 10 attributes each, with room to spare', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('load');
    for (let index = 0; index < 10_000; index++) {
      const attributes = {
        'http.request.method': 'GET',
        'http.route': '/cart/:id',
        'http.response.status_code': 200,
        'url.path': `/cart/${index}`,
        'server.address': 'checkout.internal',
        'server.port': 8080,
        'client.address': '10.0.0.1',
        'user_agent.original': 'otel-load/1.0',
        'network.protocol.version': '1.1',
        'app.cache.hit': index % 2 === 0,
      };
      tracer
        .startSpan('GET /cart/:id', { kind: SpanKind.SERVER, startTime: at(index), attributes })
        .end(at(index + 500));
    }
    const spans = exporter.getFinishedSpans();
    const protobuf = written(ProtobufTraceSerializer.serializeRequest(spans));
    const json = written(JsonTraceSerializer.serializeRequest(spans));
    expect(protobuf.length).toBeLessThan(5 * 1024 * 1024);
    // 22 messages a span (span, status, a KeyValue and an AnyValue per attribute): 220,000 and some.
    for (const [body, decode] of [
      [protobuf, decodeOtlpProtobuf],
      [json, decodeOtlpJson],
    ] as const) {
      expect(decode(body, 'traces', DEFAULT_DECODE_LIMITS).ok).toBe(true);
      expect(decode(body, 'traces', { ...DEFAULT_DECODE_LIMITS, maxMessages: 221_000 }).ok).toBe(true);
      expect(decode(body, 'traces', { ...DEFAULT_DECODE_LIMITS, maxMessages: 219_000 }).ok).toBe(false);
    }
  });
});
