/**
 * The OTLP protobuf decoder (`lib/otlp/protobuf`) against the real encoders: spans, log records and
 * metrics made with the OpenTelemetry SDKs, serialized by @opentelemetry/otlp-transformer exactly as
 * an exporter sends them, decoded here field by field. Then what the SDKs never send (summaries,
 * exemplars, unpacked repeated fields, oneof switches, unknown fields), built by hand, and hostile
 * bodies: truncated at every byte, lengths past the end, endless varints, deep nesting, too many
 * items, invalid UTF-8, wrong wire types, malformed ids. Last, the response encoders, read back by
 * otlp-transformer's own response parsers. No services needed.
 */
import { context, type HrTime, SpanKind, SpanStatusCode, TraceFlags, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PipelineError } from '../../lib/errors';
import type { OtlpDecodeLimits, OtlpMetric, OtlpSignal, OtlpValue } from '../../lib/otlp/model';
import { DEFAULT_DECODE_LIMITS } from '../../lib/otlp/model';
import { decodeOtlpProtobuf, type OtlpRequestOf } from '../../lib/otlp/protobuf/decode';
import { encodeExportResponse, encodeRpcStatus } from '../../lib/otlp/protobuf/encode';
import { ProtobufDecodeError, WireReader } from '../../lib/otlp/protobuf/wireReader';

// ---- helpers ------------------------------------------------------------------------------------

function decoded<S extends OtlpSignal>(bytes: Uint8Array, signal: S, limits?: OtlpDecodeLimits): OtlpRequestOf<S> {
  const result = decodeOtlpProtobuf(bytes, signal, limits);
  if (!result.ok) throw new Error(`expected a decode, got: ${result.message}`);
  return result.request;
}

function failure(bytes: Uint8Array, signal: OtlpSignal, limits?: OtlpDecodeLimits): string {
  const result = decodeOtlpProtobuf(bytes, signal, limits);
  if (result.ok) throw new Error('expected a decode failure');
  return result.message;
}

/** HrTime to Unix nanoseconds as a decimal string, the model's time format. */
function nanos([seconds, nanoseconds]: HrTime): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();
}

const isInt64 = (value: number): boolean => Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63;

/** An SDK attribute / AnyValue as the model holds it: int64 as a decimal string, bytes as base64. */
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

// A protobuf writer for hand-built bodies: deliberately naive (BigInt everywhere), and separate from
// the code under test so that the two cannot share a mistake.
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
const body = (...parts: Bytes[]): Uint8Array => Uint8Array.from(parts.flat());
/** An ExportTraceServiceRequest with one resource, one scope and the given spans' fields. */
const traceBody = (...spans: Bytes[][]): Uint8Array =>
  body(len(1, len(2, ...spans.map((fields) => len(2, ...fields)))));
/** An ExportMetricsServiceRequest with one resource, one scope and the given metrics' fields. */
const metricsBody = (...metrics: Bytes[][]): Uint8Array =>
  body(len(1, len(2, ...metrics.map((fields) => len(2, ...fields)))));
/** A span attribute (Span.attributes = 9) holding the given AnyValue fields. */
const spanAttribute = (key: string, ...anyValue: Bytes[]): Bytes => len(9, str(1, key), len(2, ...anyValue));
const TRACE_ID = Array.from({ length: 16 }, (_, index) => index + 1);
const SPAN_ID = Array.from({ length: 8 }, (_, index) => 0xa0 + index);

// ---- real bodies from the SDKs ------------------------------------------------------------------

const START: HrTime = [1_767_225_600, 123_456_789]; // 2026-01-01T00:00:00.123456789Z
const resource = resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.count': 3 });

function makeSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('checkout-tracer', '1.2.3');
  const parent = tracer.startSpan('POST /cart', { kind: SpanKind.SERVER, startTime: START });
  const child = tracer.startSpan(
    'SELECT cart',
    {
      kind: SpanKind.CLIENT,
      startTime: [START[0], START[1] + 1_000],
      attributes: {
        'db.system': 'postgresql',
        'db.rows': 42,
        'db.ratio': 0.25,
        'db.cached': false,
        'db.negative': -7,
        'db.big': 2 ** 60,
        'db.tags': ['a', 'b'],
        'db.ports': [5432, 6432],
        'db.flags': [true, false],
        'db.weights': [1.5, 2.5],
      },
      links: [{ context: parent.spanContext(), attributes: { 'link.reason': 'follows' } }],
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('retry', { attempt: 2, 'retry.delay': 0.5 }, [START[0], START[1] + 5_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
  child.end([START[0] + 1, 0]);
  parent.setStatus({ code: SpanStatusCode.OK });
  parent.end([START[0] + 2, 999_999_999]);
  return exporter.getFinishedSpans();
}

function makeLogRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('checkout-logger', '0.1.0');
  const spanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };
  logger.emit({
    timestamp: START,
    observedTimestamp: [START[0], START[1] + 7],
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    eventName: 'checkout.failed',
    body: {
      message: 'payment declined',
      amount: 12.5,
      items: 3,
      retried: true,
      raw: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      history: [1, 'two', [3.5, false], { deep: { deeper: ['x'] } }],
      nothing: null,
    },
    attributes: { 'user.id': 'u-1', 'cart.items': [{ sku: 'A1', qty: 2 }], 'cart.total': 25 },
    context: trace.setSpanContext(context.active(), spanContext),
  });
  logger.emit({ body: 'plain text', severityNumber: SeverityNumber.INFO });
  return { records: exporter.getFinishedLogRecords(), spanContext };
}

class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function makeResourceMetrics() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('checkout-meter', '2.0.0');
  meter.createCounter('orders', { valueType: ValueType.INT, unit: '{order}' }).add(5, { region: 'eu' });
  meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT }).add(-3);
  const latency = meter.createHistogram('latency', {
    unit: 'ms',
    description: 'request latency',
    advice: { explicitBucketBoundaries: [10, 100, 1000] },
  });
  for (const value of [5, 50, 60, 5000]) latency.record(value, { route: '/cart' });
  meter.createGauge('temperature').record(21.5, { room: 'a' });
  const sizes = meter.createHistogram('payload.size');
  for (const value of [1, 2, 4, 8, 0]) sizes.record(value);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

// ---- traces -------------------------------------------------------------------------------------

describe('decodeOtlpProtobuf: traces from the SDK', () => {
  const spans = makeSpans();
  const bytes = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
  const request = decoded(bytes, 'traces');
  const [child, parent] = spans;
  if (child === undefined || parent === undefined) throw new Error('the SDK made no spans');
  const decodedSpans = request.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
  const decodedChild = decodedSpans.find((span) => span.name === 'SELECT cart');
  const decodedParent = decodedSpans.find((span) => span.name === 'POST /cart');

  it('keeps the resource and the scope', () => {
    expect(request.signal).toBe('traces');
    expect(request.resourceSpans).toHaveLength(1);
    expect(request.resourceSpans[0]?.resource.attributes).toEqual({
      'service.name': 'checkout',
      'service.instance.count': '3',
    });
    expect(request.resourceSpans[0]?.scopeSpans[0]?.scope).toEqual({ name: 'checkout-tracer', version: '1.2.3' });
    expect(decodedSpans).toHaveLength(2);
  });

  it("gives ids as the SDK's span context hex, times as decimal nanoseconds", () => {
    expect(decodedChild?.traceId).toBe(child.spanContext().traceId);
    expect(decodedChild?.spanId).toBe(child.spanContext().spanId);
    expect(decodedChild?.parentSpanId).toBe(parent.spanContext().spanId);
    expect(decodedParent?.parentSpanId).toBeUndefined();
    expect(decodedChild?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(decodedChild?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(decodedParent?.startTimeUnixNano).toBe('1767225600123456789');
    expect(decodedParent?.endTimeUnixNano).toBe('1767225602999999999');
    expect(decodedChild?.startTimeUnixNano).toBe(nanos(child.startTime));
    expect(decodedChild?.endTimeUnixNano).toBe(nanos(child.endTime));
  });

  it('keeps kinds, status and flags; drops the zero counts the SDK writes, as proto3 has them unset', () => {
    expect(decodedParent?.kind).toBe(2); // SERVER: the API's 1, OTLP's 2
    expect(decodedChild?.kind).toBe(3); // CLIENT
    expect(decodedChild?.status).toEqual({ code: 2, message: 'connection reset' });
    expect(decodedParent?.status).toEqual({ code: 1 });
    // Sampled, plus "has is_remote" (0x100) with is_remote clear.
    expect(decodedChild?.flags).toBe(0x101);
    // The SDK writes dropped_*_count = 0 explicitly: a default, so the same as not sent.
    expect(decodedChild).not.toHaveProperty('droppedAttributesCount');
    expect(decodedChild).not.toHaveProperty('droppedEventsCount');
    expect(decodedChild).not.toHaveProperty('droppedLinksCount');
  });

  it('keeps every attribute value kind a span takes', () => {
    expect(decodedChild?.attributes).toEqual(modelValue(child.attributes));
    expect(decodedChild?.attributes).toMatchObject({
      'db.rows': '42',
      'db.ratio': 0.25,
      'db.cached': false,
      'db.negative': '-7',
      'db.big': '1152921504606846976',
      'db.ports': ['5432', '6432'],
      'db.weights': [1.5, 2.5],
    });
  });

  it('keeps events and links', () => {
    expect(decodedChild?.events).toEqual([
      {
        timeUnixNano: nanos([START[0], START[1] + 5_000]),
        name: 'retry',
        attributes: { attempt: '2', 'retry.delay': 0.5 },
      },
    ]);
    expect(decodedChild?.links).toEqual([
      {
        traceId: parent.spanContext().traceId,
        spanId: parent.spanContext().spanId,
        attributes: { 'link.reason': 'follows' },
        flags: 0x101,
      },
    ]);
  });

  it("agrees with the SDK's own OTLP JSON on ids, times and names", () => {
    const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))) as {
      resourceSpans: {
        scopeSpans: {
          spans: {
            traceId: string;
            spanId: string;
            parentSpanId?: string;
            name: string;
            startTimeUnixNano: string | number;
            endTimeUnixNano: string | number;
            events?: { name: string; timeUnixNano: string | number }[];
          }[];
        }[];
      }[];
    };
    const fromJson = json.resourceSpans.flatMap(({ scopeSpans }) =>
      scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: span.parentSpanId ? span.parentSpanId.toLowerCase() : undefined,
          name: span.name,
          start: String(span.startTimeUnixNano),
          end: String(span.endTimeUnixNano),
          events: (span.events ?? []).map((event) => [event.name, String(event.timeUnixNano)]),
        })),
      ),
    );
    const fromProtobuf = decodedSpans.map((span) => ({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      name: span.name,
      start: span.startTimeUnixNano,
      end: span.endTimeUnixNano,
      events: (span.events ?? []).map((event) => [event.name, event.timeUnixNano]),
    }));
    expect(fromProtobuf).toEqual(fromJson);
  });

  it('accepts a Buffer as well as a Uint8Array, and a body inside a larger buffer', () => {
    expect(decoded(Buffer.from(bytes), 'traces')).toEqual(request);
    const padded = new Uint8Array(bytes.length + 20).fill(0xff);
    padded.set(bytes, 10);
    expect(decoded(padded.subarray(10, 10 + bytes.length), 'traces')).toEqual(request);
  });
});

// ---- logs ---------------------------------------------------------------------------------------

describe('decodeOtlpProtobuf: logs from the SDK', () => {
  const { records, spanContext } = makeLogRecords();
  const bytes = ProtobufLogsSerializer.serializeRequest(records) as Uint8Array;
  const request = decoded(bytes, 'logs');
  const scopeLogs = request.resourceLogs[0]?.scopeLogs[0];
  const [failed, plain] = scopeLogs?.logRecords ?? [];

  it('keeps the resource, the scope and every record', () => {
    expect(request.signal).toBe('logs');
    expect(request.resourceLogs[0]?.resource.attributes['service.name']).toBe('checkout');
    expect(scopeLogs?.scope).toEqual({ name: 'checkout-logger', version: '0.1.0' });
    expect(scopeLogs?.logRecords).toHaveLength(2);
  });

  it('keeps severity, times, event name and the trace context', () => {
    expect(failed).toMatchObject({
      timeUnixNano: '1767225600123456789',
      observedTimeUnixNano: '1767225600123456796',
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      eventName: 'checkout.failed',
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      flags: TraceFlags.SAMPLED,
    });
    expect(failed).not.toHaveProperty('droppedAttributesCount');
    expect(plain).toMatchObject({ body: 'plain text', severityNumber: SeverityNumber.INFO });
    expect(plain?.traceId).toBeUndefined();
    expect(plain?.severityText).toBeUndefined();
  });

  it('unwraps a nested body: kvlist, arrays, bytes, int, double, bool, empty', () => {
    expect(failed?.body).toEqual({
      message: 'payment declined',
      amount: 12.5,
      items: '3',
      retried: true,
      raw: '3q2+7w==',
      history: ['1', 'two', [3.5, false], { deep: { deeper: ['x'] } }],
      nothing: null,
    });
    expect(failed?.body).toEqual(modelValue(records[0]?.body));
  });

  it('unwraps nested attribute values', () => {
    expect(failed?.attributes).toEqual({
      'user.id': 'u-1',
      'cart.items': [{ sku: 'A1', qty: '2' }],
      'cart.total': '25',
    });
    expect(failed?.attributes).toEqual(modelValue(records[0]?.attributes));
  });
});

// ---- metrics ------------------------------------------------------------------------------------

describe('decodeOtlpProtobuf: metrics from the SDK', () => {
  let metrics: OtlpMetric[] = [];
  let request: OtlpRequestOf<'metrics'>;
  const metric = (name: string): OtlpMetric | undefined => metrics.find((candidate) => candidate.name === name);

  beforeAll(async () => {
    const resourceMetrics = await makeResourceMetrics();
    request = decoded(ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array, 'metrics');
    metrics = request.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
  });

  it('keeps the resource, the scope and every metric', () => {
    expect(request.resourceMetrics[0]?.resource.attributes['service.name']).toBe('checkout');
    expect(request.resourceMetrics[0]?.scopeMetrics[0]?.scope).toEqual({ name: 'checkout-meter', version: '2.0.0' });
    expect(metrics.map((item) => item.name).sort()).toEqual([
      'latency',
      'orders',
      'payload.size',
      'queue.depth',
      'temperature',
    ]);
  });

  it('reads an int counter as a monotonic cumulative sum of asInt points', () => {
    const orders = metric('orders');
    expect(orders).toMatchObject({ kind: 'sum', unit: '{order}', aggregationTemporality: 2, isMonotonic: true });
    expect(orders?.dataPoints).toHaveLength(1);
    expect(orders?.dataPoints[0]).toMatchObject({ asInt: '5', attributes: { region: 'eu' } });
    expect(orders?.dataPoints[0]?.asDouble).toBeUndefined();
    expect(orders?.dataPoints[0]?.startTimeUnixNano).toMatch(/^\d{19}$/);
    expect(orders?.dataPoints[0]?.timeUnixNano).toMatch(/^\d{19}$/);
  });

  it('reads a negative sfixed64 (an up-down counter) as a negative decimal', () => {
    const depth = metric('queue.depth');
    expect(depth).toMatchObject({ kind: 'sum', aggregationTemporality: 2 });
    expect(depth?.isMonotonic).toBeUndefined();
    expect(depth?.dataPoints[0]?.asInt).toBe('-3');
  });

  it('reads a gauge of doubles', () => {
    const temperature = metric('temperature');
    expect(temperature?.kind).toBe('gauge');
    expect(temperature?.dataPoints).toEqual([expect.objectContaining({ asDouble: 21.5, attributes: { room: 'a' } })]);
  });

  it('reads a histogram: count, sum, min, max, bounds and bucket counts', () => {
    const latency = metric('latency');
    expect(latency).toMatchObject({
      kind: 'histogram',
      unit: 'ms',
      description: 'request latency',
      aggregationTemporality: 2,
    });
    expect(latency?.dataPoints[0]).toMatchObject({
      count: '4',
      sum: 5115,
      min: 5,
      max: 5000,
      explicitBounds: [10, 100, 1000],
      bucketCounts: ['1', '2', '0', '1'],
      attributes: { route: '/cart' },
    });
  });

  it('reads an exponential histogram: scale, zero count, positive buckets', () => {
    const sizes = metric('payload.size');
    expect(sizes?.kind).toBe('exponentialHistogram');
    const [point] = sizes?.dataPoints ?? [];
    expect(point).toMatchObject({ count: '5', sum: 15, zeroCount: '1', min: 0, max: 8 });
    expect(typeof point?.scale).toBe('number');
    const counts = point?.positive?.bucketCounts ?? [];
    expect(counts.reduce((total, count) => total + Number(count), 0)).toBe(4);
    expect(typeof point?.positive?.offset === 'number' || point?.positive?.offset === undefined).toBe(true);
  });
});

// ---- what the SDKs do not send ------------------------------------------------------------------

describe('decodeOtlpProtobuf: hand-built bodies', () => {
  it('decodes an empty body as an empty request of its signal', () => {
    expect(decoded(new Uint8Array(0), 'traces')).toEqual({ signal: 'traces', resourceSpans: [] });
    expect(decoded(new Uint8Array(0), 'logs')).toEqual({ signal: 'logs', resourceLogs: [] });
    expect(decoded(new Uint8Array(0), 'metrics')).toEqual({ signal: 'metrics', resourceMetrics: [] });
  });

  it('fills only the fields the model requires when the wire has none', () => {
    expect(decoded(traceBody([], []), 'traces').resourceSpans).toEqual([
      {
        resource: { attributes: {} },
        scopeSpans: [
          {
            scope: {},
            spans: [
              { traceId: '', spanId: '', name: '', startTimeUnixNano: '0', endTimeUnixNano: '0' },
              { traceId: '', spanId: '', name: '', startTimeUnixNano: '0', endTimeUnixNano: '0' },
            ],
          },
        ],
      },
    ]);
    const events = decoded(traceBody([len(11), len(13)]), 'traces').resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(events?.events).toEqual([{ timeUnixNano: '0', name: '' }]);
    expect(events?.links).toEqual([{ traceId: '', spanId: '' }]);
    const logs = decoded(body(len(1, len(2, len(2)))), 'logs');
    expect(logs.resourceLogs[0]?.scopeLogs[0]?.logRecords).toEqual([{}]);
    const metrics = decoded(body(len(1, len(2, len(2)))), 'metrics');
    expect(metrics.resourceMetrics[0]?.scopeMetrics[0]?.metrics).toEqual([{ name: '', dataPoints: [] }]);
  });

  it('reads a field without presence sent at its default as absent, or at its default if required', () => {
    const span = (fields: Bytes[]) => decoded(traceBody(fields), 'traces').resourceSpans[0]?.scopeSpans[0]?.spans[0];
    const defaults = [str(3, ''), len(4), uint(6, 0), uint(10, 0), uint(12, 0), uint(14, 0), fixed32(16, 0)];
    expect(span([str(5, ''), fixed64(7, 0n), ...defaults])).toStrictEqual(span([]));
    // The last value wins, a default one too: it unsets what came before it.
    expect(span([str(5, 'a'), str(5, ''), uint(6, 2), uint(6, 0), uint(10, 3), uint(10, 0)])).toStrictEqual(span([]));
    // A string "0" is a value, a 64-bit 0 is not; a message (status) has presence, its code does not.
    expect(span([str(3, '0'), len(15, uint(3, 0), str(2, ''))])).toStrictEqual({
      ...span([]),
      traceState: '0',
      status: {},
    });
    const record = (fields: Bytes[]) =>
      decoded(body(len(1, len(2, len(2, ...fields)))), 'logs').resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
    // An empty AnyValue body is no body (model.ts); a body at a variant's zero is a value.
    expect(record([len(5), fixed64(1, 0n), uint(2, 0), fixed32(8, 0), len(9), len(10), str(12, '')])).toStrictEqual({});
    expect(record([len(5, str(1, 'x')), len(5)])).toStrictEqual({ body: 'x' });
    expect(record([len(5, uint(2, 0))])).toStrictEqual({ body: false });
    // The presence of `optional double` and of a oneof: 0 is kept; -0 is not a default, even without.
    const point = (kind: number, ...fields: Bytes[]) =>
      decoded(metricsBody([len(kind, len(1, ...fields))]), 'metrics').resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]
        ?.dataPoints[0];
    expect(point(9, double(5, 0), double(11, 0), double(12, 0), fixed64(4, 0n), uint(10, 0))).toStrictEqual({
      sum: 0,
      min: 0,
      max: 0,
    });
    expect(point(11, double(5, 0), fixed64(4, 0n))).toStrictEqual({});
    expect(point(11, double(5, -0))).toStrictEqual({ sum: -0 });
    expect(point(5, double(4, 0))).toStrictEqual({ asDouble: 0 });
    expect(point(10, len(8), len(9, uint(1, 0)), uint(6, 0), double(14, 0))).toStrictEqual({
      positive: {},
      negative: {},
    });
    expect(point(9, len(6), len(7))).toStrictEqual({});
  });

  it('reads the whole 64-bit range of fixed64, sfixed64 and int64 exactly', () => {
    const span = (fields: Bytes[]) => decoded(traceBody(fields), 'traces').resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span([fixed64(7, 2n ** 64n - 1n), fixed64(8, 2n ** 53n + 1n)])).toMatchObject({
      startTimeUnixNano: '18446744073709551615',
      endTimeUnixNano: '9007199254740993',
    });
    const attributes = span([
      spanAttribute('min', uint(3, -(2n ** 63n))),
      spanAttribute('max', uint(3, 2n ** 63n - 1n)),
      spanAttribute('minus', uint(3, -1)),
      spanAttribute('small', uint(3, 7)),
    ])?.attributes;
    expect(attributes).toEqual({
      min: '-9223372036854775808',
      max: '9223372036854775807',
      minus: '-1',
      small: '7',
    });
    const point = decoded(body(len(1, len(2, len(2, len(5, len(1, fixed64(6, -(2n ** 63n)))))))), 'metrics')
      .resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
    expect(point).toEqual({ asInt: '-9223372036854775808' });
  });

  it('reads a summary, exemplars, metadata and flags', () => {
    const exemplar = len(
      5,
      len(7, str(1, 'k'), len(2, str(1, 'v'))),
      fixed64(2, 99n),
      fixed64(6, -4n),
      len(4, SPAN_ID),
      len(5, TRACE_ID),
    );
    const summary = len(
      11,
      len(
        1,
        fixed64(2, 1n),
        fixed64(3, 2n),
        fixed64(4, 10n),
        double(5, 12.5),
        len(6, double(1, 0.5), double(2, 1.25)),
        len(6, double(1, 0.99)),
        uint(8, 1),
        len(7, str(1, 'a'), len(2, str(1, 'b'))),
      ),
    );
    const metadata = len(12, str(1, 'origin'), len(2, str(1, 'collector')));
    const gauge = len(5, len(1, double(4, 1), exemplar));
    const metrics = decoded(metricsBody([str(1, 'rpc.duration'), summary, metadata], [str(1, 'g'), gauge]), 'metrics')
      .resourceMetrics[0]?.scopeMetrics[0]?.metrics;
    expect(metrics?.[0]).toEqual({
      name: 'rpc.duration',
      kind: 'summary',
      metadata: { origin: 'collector' },
      dataPoints: [
        {
          startTimeUnixNano: '1',
          timeUnixNano: '2',
          count: '10',
          sum: 12.5,
          quantileValues: [{ quantile: 0.5, value: 1.25 }, { quantile: 0.99 }],
          flags: 1,
          attributes: { a: 'b' },
        },
      ],
    });
    expect(metrics?.[1]?.dataPoints[0]).toEqual({
      asDouble: 1,
      exemplars: [
        {
          filteredAttributes: { k: 'v' },
          timeUnixNano: '99',
          asInt: '-4',
          spanId: 'a0a1a2a3a4a5a6a7',
          traceId: '0102030405060708090a0b0c0d0e0f10',
        },
      ],
    });
  });

  it('takes repeated scalars packed and unpacked, even mixed in one field', () => {
    const packedFixed = len(6, ...[1n, 2n].map((count) => fixed64(0, count).slice(1)));
    const histogramPoint = len(1, fixed64(6, 7n), packedFixed, double(7, 1.5), len(7, double(0, 2.5).slice(1)));
    const buckets = len(8, uint(1, 0), uint(2, 3), len(2, varint(4), varint(2n ** 40n)));
    const metrics = decoded(
      metricsBody([str(1, 'h'), len(9, histogramPoint)], [str(1, 'e'), len(10, len(1, buckets, uint(6, 3)))]),
      'metrics',
    ).resourceMetrics[0]?.scopeMetrics[0]?.metrics;
    expect(metrics?.[0]?.dataPoints[0]).toEqual({ bucketCounts: ['7', '1', '2'], explicitBounds: [1.5, 2.5] });
    // offset and scale are sint32 (zigzag): 3 is -2; offset 0 is the default, so absent.
    expect(metrics?.[1]?.dataPoints[0]).toEqual({
      positive: { bucketCounts: ['3', '4', '1099511627776'] },
      scale: -2,
    });
  });

  it("applies protobuf's rules for a oneof: the last case wins", () => {
    const point = (field: number, value: bigint) => len(1, fixed64(field, value));
    const metric = decoded(
      body(len(1, len(2, len(2, len(5, point(6, 1n)), len(7, point(6, 2n), uint(3, 1)), len(7, point(6, 3n)))))),
      'metrics',
    ).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric).toEqual({ name: '', kind: 'sum', isMonotonic: true, dataPoints: [{ asInt: '2' }, { asInt: '3' }] });
    const switched = decoded(
      body(len(1, len(2, len(2, len(7, point(6, 2n), uint(3, 1)), len(5, point(6, 1n)))))),
      'metrics',
    ).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(switched).toEqual({ name: '', kind: 'gauge', dataPoints: [{ asInt: '1' }] });
    const value = decoded(body(len(1, len(2, len(2, len(5, len(1, double(4, 1.5), fixed64(6, 9n))))))), 'metrics')
      .resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
    expect(value).toEqual({ asInt: '9' });
    const attribute = decoded(traceBody([spanAttribute('x', str(1, 'text'), uint(2, 1))]), 'traces');
    expect(attribute.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes).toEqual({ x: true });
  });

  it('merges an embedded message sent twice, and keeps repeated fields in order', () => {
    const request = decoded(
      body(
        len(
          1,
          len(1, len(1, str(1, 'a'), len(2, str(1, '1')))),
          len(1, len(1, str(1, 'b'), len(2, str(1, '2'))), uint(2, 4)),
        ),
      ),
      'traces',
    );
    expect(request.resourceSpans[0]?.resource).toEqual({ attributes: { a: '1', b: '2' }, droppedAttributesCount: 4 });
  });

  it('skips unknown fields of every wire type, and the profiles-only strindex fields', () => {
    const unknown = [uint(99, 1), fixed64(98, 1n), len(97, [1, 2, 3]), fixed32(96, 1)];
    const span = decoded(
      body(
        len(
          1,
          ...unknown,
          len(2, ...unknown, len(2, ...unknown, str(5, 'kept'), len(9, str(1, 'k'), uint(3, 5), len(2, uint(8, 4))))),
        ),
        ...unknown,
      ),
      'traces',
    ).resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span).toMatchObject({ name: 'kept', attributes: { k: null } });
  });

  it('reads strings short and long, ASCII or not', () => {
    const texts = [
      '',
      'a\u0000b',
      'café ✓ 😀',
      'x'.repeat(32),
      'y'.repeat(33),
      `${'é'.repeat(40)}😀`,
      'z'.repeat(70_000),
    ];
    const spans = decoded(traceBody(...texts.map((text) => [str(5, text)])), 'traces').resourceSpans[0]?.scopeSpans[0]
      ?.spans;
    expect(spans?.map((span) => span.name)).toEqual(texts);
    expect(failure(traceBody([len(5, [...Buffer.from('a'.repeat(40)), 0xff])]), 'traces')).toMatch(
      /spans\[0\]\.name: invalid UTF-8 \(at byte 8\)$/,
    );
  });

  it('keeps a __proto__ key as an own property, and a leading BOM as content', () => {
    const span = decoded(traceBody([spanAttribute('__proto__', str(1, 'x')), str(5, '\ufeffname')]), 'traces')
      .resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(Object.keys(span?.attributes ?? {})).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(span?.attributes)).toBe(Object.prototype);
    expect(span?.name).toBe('\ufeffname');
  });

  it('accepts nesting up to maxValueDepth', () => {
    let value = str(1, 'leaf');
    for (let level = 0; level < 4; level++)
      value = level % 2 === 0 ? len(5, len(1, value)) : len(6, len(1, str(1, 'k'), len(2, value)));
    const span = decoded(traceBody([spanAttribute('deep', value)]), 'traces', {
      ...DEFAULT_DECODE_LIMITS,
      maxValueDepth: 4,
      maxItems: 10,
    });
    expect(span.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes).toEqual({ deep: { k: [{ k: ['leaf'] }] } });
  });
});

// ---- hostile bodies -----------------------------------------------------------------------------

describe('decodeOtlpProtobuf: hostile bodies', () => {
  const realBodies = async (): Promise<[OtlpSignal, Uint8Array][]> => [
    ['traces', ProtobufTraceSerializer.serializeRequest(makeSpans()) as Uint8Array],
    ['logs', ProtobufLogsSerializer.serializeRequest(makeLogRecords().records) as Uint8Array],
    ['metrics', ProtobufMetricsSerializer.serializeRequest(await makeResourceMetrics()) as Uint8Array],
  ];

  it('never throws on a real body truncated at any byte, and refuses a cut inside a message', async () => {
    for (const [signal, bytes] of await realBodies()) {
      let refused = 0;
      for (let end = 0; end < bytes.length; end++) {
        const result = decodeOtlpProtobuf(bytes.subarray(0, end), signal);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) {
          refused++;
          expect(result.message).toMatch(/at byte \d+/);
        }
      }
      // One resource per body: every cut but the empty prefix is inside it.
      expect(refused).toBe(bytes.length - 1);
    }
  });

  it('refuses a length prefix of 2^31 before allocating', () => {
    expect(failure(body(tag(1, 2), varint(2 ** 31)), 'traces')).toBe(
      'resourceSpans[0]: length 2147483648 exceeds the 0 bytes left (at byte 1)',
    );
    expect(failure(traceBody([[...tag(5, 2), ...varint(2 ** 31), 0x41]]), 'traces')).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: length 2147483648 exceeds the 1 bytes left/,
    );
    expect(failure(body(tag(1, 2), varint(2n ** 63n)), 'logs')).toMatch(/length 9223372036854775808 exceeds/);
  });

  it('refuses a varint of 11 bytes, and one past 64 bits', () => {
    const eleven = [...Array<number>(10).fill(0xff), 0x01];
    expect(failure(traceBody([[...tag(6, 0), ...eleven]]), 'traces')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].kind: varint longer than 10 bytes (at byte 7)',
    );
    expect(failure(body(eleven), 'traces')).toBe('varint longer than 10 bytes (at byte 0)');
    const overflow = [...Array<number>(9).fill(0xff), 0x02];
    expect(failure(traceBody([[...tag(6, 0), ...overflow]]), 'traces')).toMatch(/kind: varint overflows 64 bits/);
    // Ten bytes ending in 0x01 are the largest legal varint.
    const largest = [...Array<number>(9).fill(0xff), 0x01];
    expect(
      decoded(traceBody([[...tag(6, 0), ...largest]]), 'traces').resourceSpans[0]?.scopeSpans[0]?.spans[0]?.kind,
    ).toBe(-1);
  });

  it('refuses nesting deeper than maxValueDepth, however deep, without exhausting the stack', () => {
    const nested = (depth: number): Buffer => {
      // Built inside out with Buffers: arrays of arrays of ... of one string.
      let value = Buffer.from(str(1, 'leaf'));
      for (let level = 0; level < depth; level++) {
        const values = Buffer.concat([Buffer.from(tag(1, 2)), Buffer.from(varint(value.length)), value]);
        value = Buffer.concat([Buffer.from(tag(5, 2)), Buffer.from(varint(values.length)), values]);
      }
      return value;
    };
    const request = (depth: number) => traceBody([spanAttribute('deep', [...nested(depth)])]);
    expect(decodeOtlpProtobuf(request(DEFAULT_DECODE_LIMITS.maxValueDepth), 'traces').ok).toBe(true);
    expect(failure(request(DEFAULT_DECODE_LIMITS.maxValueDepth + 1), 'traces')).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\["deep"\](\[0\]){32}: values nested deeper than maxValueDepth \(32\)/,
    );
    expect(failure(request(5_000), 'traces')).toMatch(/values nested deeper than maxValueDepth \(32\)/);
    const kvlist = str(1, 'x');
    let deepList = kvlist;
    for (let level = 0; level < 3; level++) deepList = len(6, len(1, str(1, 'k'), len(2, deepList)));
    expect(
      failure(traceBody([spanAttribute('a', deepList)]), 'traces', {
        ...DEFAULT_DECODE_LIMITS,
        maxValueDepth: 2,
        maxItems: 10,
      }),
    ).toMatch(/attributes\["a"\]\["k"\]\["k"\]: values nested deeper than maxValueDepth \(2\)/);
  });

  it('refuses more items than maxItems, counting spans, log records and data points', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxItems: 2 };
    expect(decoded(traceBody([], []), 'traces', limits).resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(2);
    expect(failure(traceBody([], [], []), 'traces', limits)).toBe(
      'resourceSpans[0].scopeSpans[0].spans[2]: more than maxItems (2) spans, log records and data points (at byte 8)',
    );
    // Across resources and scopes, not per list.
    expect(failure(body(len(1, len(2, len(2))), len(1, len(2, len(2), len(2)))), 'traces', limits)).toMatch(
      /^resourceSpans\[1\]\.scopeSpans\[0\]\.spans\[1\]: more than maxItems \(2\)/,
    );
    expect(failure(body(len(1, len(2, len(2), len(2), len(2)))), 'logs', limits)).toMatch(
      /logRecords\[2\]: more than maxItems/,
    );
    const points = len(7, len(1), len(1), len(1));
    expect(failure(body(len(1, len(2, len(2, points)))), 'metrics', limits)).toMatch(
      /^resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.sum\.dataPoints\[2\]: more than maxItems/,
    );
  });

  it('refuses more than maxMessages embedded messages of any kind, before reading them', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxMessages: 7 };
    // resourceSpans[0], scopeSpans[0], the span: 3; then a KeyValue and its AnyValue per attribute,
    // one more for an array value and one per element.
    const attribute = spanAttribute('k', str(1, 'v'));
    expect(decoded(traceBody([attribute, attribute]), 'traces', limits).resourceSpans).toHaveLength(1);
    expect(failure(traceBody([attribute, attribute, len(9, str(1, 'k'))]), 'traces', limits)).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes: more than maxMessages \(7\) embedded messages \(at byte \d+\)$/,
    );
    const list = (...values: Bytes[]) =>
      traceBody([spanAttribute('k', len(5, ...values.map((value) => len(1, value))))]);
    expect(decodeOtlpProtobuf(list([]), 'traces', limits).ok).toBe(true);
    expect(failure(list([], []), 'traces', limits)).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\["k"\]\[1\]: more than maxMessages \(7\)/,
    );
    // Empty events, links, statuses: each one a message.
    expect(failure(traceBody([len(11), len(13), len(15), len(11), len(11)]), 'traces', limits)).toMatch(
      /spans\[0\]\.events\[2\]: more than maxMessages \(7\)/,
    );
    const emptyScopes = Array.from({ length: 2 * 1_000_000 }, (_, index) => (index % 2 === 0 ? 0x12 : 0));
    expect(failure(body(len(1, emptyScopes)), 'traces')).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[499999\]: more than maxMessages \(500000\) embedded messages/,
    );
  });

  it('refuses invalid UTF-8: bad bytes, overlong forms, surrogates', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      expect(failure(traceBody([len(5, bad)]), 'traces')).toMatch(
        /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: invalid UTF-8 \(at byte \d+\)$/,
      );
    }
    expect(failure(body(len(1, len(1, len(1, str(1, 'service.name'), len(2, len(1, [0xff])))))), 'traces')).toBe(
      'resourceSpans[0].resource.attributes["service.name"]: invalid UTF-8 (at byte 24)',
    );
    expect(failure(body(len(1, len(1, len(1, len(1, [0xff]))))), 'traces')).toMatch(/attributes\[\?\]: invalid UTF-8/);
  });

  it('refuses a known field with the wrong wire type (protobuf would keep it as unknown: we do not drop it)', () => {
    expect(failure(traceBody([uint(5, 1)]), 'traces')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].name: field 5 has wire type 0, not 2 (at byte 6)',
    );
    expect(failure(traceBody([fixed32(7, 1)]), 'traces')).toMatch(/startTimeUnixNano: field 7 has wire type 5, not 1/);
    expect(failure(traceBody([spanAttribute('k', fixed32(1, 1))]), 'traces')).toMatch(
      /attributes\["k"\]: field 1 has wire type 5, not 2/,
    );
    expect(failure(body(len(1, len(2, len(2, len(9, len(1, uint(6, 1))))))), 'metrics')).toMatch(
      /histogram\.dataPoints\[0\]\.bucketCounts: field 6 has wire type 0, not 1/,
    );
  });

  it('refuses ids of the wrong length, naming the path', () => {
    expect(failure(traceBody([], [], [len(1, TRACE_ID.slice(0, 12))]), 'traces')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[2].traceId: 12 bytes, not 16 (at byte 12)',
    );
    expect(failure(traceBody([len(2, [...SPAN_ID, ...SPAN_ID])]), 'traces')).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.spanId: 16 bytes, not 8/,
    );
    expect(failure(traceBody([len(13, len(2, [1]))]), 'traces')).toMatch(
      /spans\[0\]\.links\[0\]\.spanId: 1 bytes, not 8/,
    );
    expect(failure(body(len(1, len(2, len(2, len(9, [1, 2]))))), 'logs')).toMatch(
      /logRecords\[0\]\.traceId: 2 bytes, not 16/,
    );
    const span = decoded(traceBody([len(1, TRACE_ID), len(2, SPAN_ID), len(4, [])]), 'traces').resourceSpans[0]
      ?.scopeSpans[0]?.spans[0];
    // An empty id is the bytes default: an optional one (parentSpanId) is then absent.
    expect(span).toMatchObject({ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: 'a0a1a2a3a4a5a6a7' });
    expect(span).not.toHaveProperty('parentSpanId');
  });

  it('refuses groups, wire types 6 and 7, field number 0, and a ragged packed field', () => {
    expect(failure(body(tag(50, 3)), 'traces')).toBe('groups (wire types 3, 4) are not supported (at byte 0)');
    expect(failure(body(tag(50, 4)), 'traces')).toMatch(/groups/);
    expect(failure(body(tag(50, 6)), 'traces')).toBe('invalid wire type 6 (at byte 0)');
    expect(failure(body(tag(50, 7)), 'traces')).toBe('invalid wire type 7 (at byte 0)');
    expect(failure(body([0x02, 0x00]), 'traces')).toBe('invalid field number (at byte 0)');
    expect(failure(metricsBody([len(9, len(1, len(6, [1, 2, 3])))]), 'metrics')).toMatch(
      /bucketCounts: packed field of 3 bytes is not a multiple of 8/,
    );
    expect(failure(body(len(1, fixed64(50, 1n).slice(0, 5))), 'traces')).toMatch(
      /^resourceSpans\[0\]\.\(field 50\): truncated: 8 bytes needed, 3 left/,
    );
  });

  it('returns a failure, not an exception, for an unknown signal', () => {
    expect(decodeOtlpProtobuf(new Uint8Array(0), 'profiles' as OtlpSignal)).toEqual({
      ok: false,
      message: 'unknown OTLP signal "profiles"',
    });
  });
});

// ---- the wire reader on its own -----------------------------------------------------------------

describe('WireReader', () => {
  it('reads varints at their boundaries, zigzag and two-complement values', () => {
    const values = [0n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n];
    const reader = new WireReader(body(...values.map((value) => varint(value))));
    expect(values.map(() => reader.readUint64())).toEqual(values.map(String));
    expect(reader.atEnd()).toBe(true);
    const signed = new WireReader(body(varint(-1), varint(-(2n ** 63n)), varint(3), varint(4), varint(-2)));
    expect([
      signed.readInt64(),
      signed.readInt64(),
      signed.readSint32(),
      signed.readSint32(),
      signed.readInt32(),
    ]).toEqual(['-1', '-9223372036854775808', -2, 2, -2]);
  });

  it('throws ProtobufDecodeError, a PipelineError with code INVALID_PROTOBUF and the offset', () => {
    const reader = new WireReader(body([0x80, 0x80]));
    try {
      reader.readUint32();
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toBeInstanceOf(ProtobufDecodeError);
      expect(error).toBeInstanceOf(PipelineError);
      expect(error).toMatchObject({ code: 'INVALID_PROTOBUF', offset: 0, message: 'truncated varint (at byte 0)' });
    }
  });

  it('keeps reads inside the embedded message it entered', () => {
    const reader = new WireReader(body(len(1, [0x80]), [0x01]));
    reader.readTag();
    const outer = reader.enter();
    expect(() => reader.readUint32()).toThrow('truncated varint');
    expect(reader.remaining()).toBe(1);
    reader.pos += 1;
    reader.leave(outer);
    expect(reader.readUint32()).toBe(1);
  });
});

// ---- responses ----------------------------------------------------------------------------------

describe('encodeExportResponse / encodeRpcStatus', () => {
  it('encodes full success as the empty message', () => {
    expect(encodeExportResponse('traces')).toEqual(new Uint8Array(0));
    expect(encodeExportResponse('logs', { rejected: 0, errorMessage: '' })).toEqual(new Uint8Array(0));
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces'))).toEqual({});
  });

  it("round-trips a partial success through otlp-transformer's response parsers", () => {
    const partial = { rejected: 3, errorMessage: 'spans[1]: no trace id — refusé' };
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', partial))).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: partial.errorMessage },
    });
    expect(ProtobufLogsSerializer.deserializeResponse(encodeExportResponse('logs', partial))).toEqual({
      partialSuccess: { rejectedLogRecords: 3, errorMessage: partial.errorMessage },
    });
    expect(
      ProtobufMetricsSerializer.deserializeResponse(
        encodeExportResponse('metrics', { rejected: 2 ** 40, errorMessage: '' }),
      ),
    ).toEqual({ partialSuccess: { rejectedDataPoints: 2 ** 40 } });
    expect(
      ProtobufLogsSerializer.deserializeResponse(encodeExportResponse('logs', { rejected: 0, errorMessage: 'warn' })),
    ).toEqual({
      partialSuccess: { errorMessage: 'warn' },
    });
  });

  it('refuses a rejected count that is not a non-negative integer', () => {
    for (const rejected of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => encodeExportResponse('traces', { rejected, errorMessage: '' })).toThrow(PipelineError);
    }
  });

  it('encodes google.rpc.Status { code = 1, message = 2 }', () => {
    const read = (bytes: Uint8Array) => {
      const reader = new WireReader(bytes);
      const fields: Record<number, number | string> = {};
      while (!reader.atEnd()) {
        const field = reader.readTag() >>> 3;
        fields[field] = field === 1 ? reader.readInt32() : reader.readString();
      }
      return fields;
    };
    expect(read(encodeRpcStatus(3, 'spans[0].traceId: 12 bytes, not 16'))).toEqual({
      1: 3,
      2: 'spans[0].traceId: 12 bytes, not 16',
    });
    expect(encodeRpcStatus(14, 'x')).toEqual(Uint8Array.from([0x08, 14, 0x12, 1, 0x78]));
    expect(encodeRpcStatus(0, '')).toEqual(new Uint8Array(0));
    const negative = encodeRpcStatus(-1, '');
    expect(negative).toHaveLength(11); // int32 -1 is sign-extended to a 10-byte varint
    expect(read(negative)).toEqual({ 1: -1 });
    expect(() => encodeRpcStatus(2 ** 31, '')).toThrow(PipelineError);
  });
});
