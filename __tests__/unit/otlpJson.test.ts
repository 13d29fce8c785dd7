/**
 * decodeOtlpJson: OTLP/JSON bodies written by the real OpenTelemetry JS SDKs and serializers
 * (@opentelemetry/otlp-transformer's Json*Serializer, what the http/json exporters send) decode to
 * the model with the SDK's own ids, times, attributes and kinds; hand-written bodies cover what the
 * SDK never writes (enum names, int64 as strings or numbers, snake_case keys, NaN, uppercase ids)
 * and hostile ones (nesting, item counts, wrong types, bad ids, bad UTF-8), which fail with the
 * field's path and never throw. No services needed.
 */
import { context, SpanKind, SpanStatusCode, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { decodeOtlpJson } from '../../lib/otlp/json/decode';
import {
  DEFAULT_DECODE_LIMITS,
  type OtlpLogsRequest,
  type OtlpMetricsRequest,
  type OtlpRequest,
  type OtlpSignal,
  type OtlpTracesRequest,
} from '../../lib/otlp/model';

const RESOURCE = { 'service.name': 'checkout', 'service.version': '1.4.0', 'host.cpus': 8, 'deploy.canary': false };
const resource = resourceFromAttributes(RESOURCE);
/** 2024-05-01T12:00:00.123456789Z as the SDK's [seconds, nanoseconds]. */
const START: [number, number] = [1_714_564_800, 123_456_789];

/** What a Json*Serializer wrote (its type allows undefined, for a failure it reports elsewhere). */
function serialized(bytes: Uint8Array | undefined): Uint8Array {
  if (bytes === undefined) throw new Error('the serializer wrote nothing');
  return bytes;
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

function decoded<T extends OtlpRequest>(body: Uint8Array | object, signal: T['signal']): T {
  const result = decodeOtlpJson(body instanceof Uint8Array ? body : json(body), signal);
  if (!result.ok) throw new Error(`expected a request, got: ${result.message}`);
  return result.request as T;
}

function failure(body: Uint8Array | object, signal: OtlpSignal = 'traces', limits = DEFAULT_DECODE_LIMITS): string {
  const result = decodeOtlpJson(body instanceof Uint8Array ? body : json(body), signal, limits);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.request)}`);
  return result.message;
}

/** One span of a hand-written traces body, under one resource and one scope. */
function tracesBody(span: object): object {
  return { resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [span] }] }] };
}

function firstSpan(span: object) {
  return decoded<OtlpTracesRequest>(tracesBody(span), 'traces').resourceSpans[0]?.scopeSpans[0]?.spans[0];
}

function firstLog(record: object) {
  const body = { resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] };
  return decoded<OtlpLogsRequest>(body, 'logs').resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
}

function firstMetric(metric: object) {
  const body = { resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] };
  return decoded<OtlpMetricsRequest>(body, 'metrics').resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
}

/** An attribute value nested `levels` arrays deep around a string. */
function nested(levels: number): object {
  let value: object = { stringValue: 'leaf' };
  for (let level = 0; level < levels; level += 1) value = { arrayValue: { values: [value] } };
  return value;
}

describe('decodeOtlpJson: bodies from the OpenTelemetry SDK', () => {
  it('decodes spans with their ids, times, kinds, attributes, events, links and status', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('checkout-lib', '2.0.1');
    const parent = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, startTime: START });
    const child = tracer.startSpan(
      'charge card',
      {
        kind: SpanKind.CLIENT,
        startTime: [START[0], START[1] + 1_000],
        attributes: { 'card.brand': 'visa', attempts: 3, ratio: 0.25, retried: true, tags: ['a', 'b'], codes: [1, 2] },
        links: [{ context: parent.spanContext(), attributes: { 'link.reason': 'caused-by' } }],
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('declined', { 'decline.code': 51 }, [START[0], START[1] + 2_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    child.end([START[0], START[1] + 3_500_000]);
    parent.end([START[0] + 1, START[1]]);
    await provider.forceFlush();

    const request = decoded<OtlpTracesRequest>(
      serialized(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())),
      'traces',
    );
    expect(request.signal).toBe('traces');
    const [resourceSpans] = request.resourceSpans;
    expect(resourceSpans?.resource.attributes).toEqual({ ...RESOURCE, 'host.cpus': '8' });
    expect(resourceSpans?.scopeSpans[0]?.scope).toEqual({ name: 'checkout-lib', version: '2.0.1' });
    const [charge, post] = resourceSpans?.scopeSpans[0]?.spans ?? [];
    const { traceId, spanId } = child.spanContext();
    expect(charge).toEqual({
      traceId,
      spanId,
      parentSpanId: parent.spanContext().spanId,
      name: 'charge card',
      kind: 3,
      flags: 257,
      startTimeUnixNano: '1714564800123457789',
      endTimeUnixNano: '1714564800126956789',
      attributes: {
        'card.brand': 'visa',
        attempts: '3',
        ratio: 0.25,
        retried: true,
        tags: ['a', 'b'],
        codes: ['1', '2'],
      },
      events: [{ name: 'declined', timeUnixNano: '1714564800123458789', attributes: { 'decline.code': '51' } }],
      links: [{ traceId, spanId: parent.spanContext().spanId, flags: 257, attributes: { 'link.reason': 'caused-by' } }],
      status: { code: 2, message: 'card declined' },
    });
    expect(post).toMatchObject({
      traceId,
      spanId: parent.spanContext().spanId,
      kind: 2,
      startTimeUnixNano: '1714564800123456789',
      endTimeUnixNano: '1714564801123456789',
      status: {},
    });
    // the SDK's explicit defaults (empty lists, zero counts) are dropped, as protobuf would never carry them
    expect(post).not.toHaveProperty('attributes');
    expect(post).not.toHaveProperty('droppedAttributesCount');
    expect(post).not.toHaveProperty('parentSpanId');
  });

  it('decodes log records: body of any shape, bytes as base64, severity, times, trace context', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    const span = new BasicTracerProvider().getTracer('t').startSpan('s');
    provider.getLogger('app-log', '0.3.0').emit({
      timestamp: START,
      observedTimestamp: [START[0], START[1] + 5],
      severityNumber: SeverityNumber.WARN2,
      severityText: 'WARN',
      eventName: 'payment.declined',
      body: {
        message: 'declined',
        amounts: [12, 0.5, { currency: 'EUR' }],
        raw: new Uint8Array([104, 105]),
        none: null,
      },
      attributes: { 'user.id': 'u-1', attempt: 2 },
      context: trace.setSpan(context.active(), span),
    });
    await provider.forceFlush();

    const request = decoded<OtlpLogsRequest>(
      serialized(JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())),
      'logs',
    );
    expect(request.resourceLogs[0]?.resource.attributes['service.name']).toBe('checkout');
    expect(request.resourceLogs[0]?.scopeLogs[0]?.scope).toEqual({ name: 'app-log', version: '0.3.0' });
    expect(request.resourceLogs[0]?.scopeLogs[0]?.logRecords).toEqual([
      {
        timeUnixNano: '1714564800123456789',
        observedTimeUnixNano: '1714564800123456794',
        severityNumber: 14,
        severityText: 'WARN',
        eventName: 'payment.declined',
        body: { message: 'declined', amounts: ['12', 0.5, { currency: 'EUR' }], raw: 'aGk=', none: null },
        attributes: { 'user.id': 'u-1', attempt: '2' },
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        flags: 1,
      },
    ]);
  });

  it('decodes metrics: a counter (sum, asInt), a histogram and a gauge with their points', async () => {
    class CollectingReader extends MetricReader {
      protected async onShutdown(): Promise<void> {}
      protected async onForceFlush(): Promise<void> {}
    }
    const reader = new CollectingReader();
    const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('orders-meter', '1.0.0');
    meter.createCounter('orders', { valueType: ValueType.INT, description: 'orders placed' }).add(5, { region: 'eu' });
    meter.createHistogram('latency', { unit: 'ms' }).record(12.5);
    meter.createGauge('queue.depth').record(-1.5, { queue: 'q1' });
    const { resourceMetrics } = await reader.collect();

    const request = decoded<OtlpMetricsRequest>(
      serialized(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
      'metrics',
    );
    const scope = request.resourceMetrics[0]?.scopeMetrics[0];
    expect(scope?.scope).toEqual({ name: 'orders-meter', version: '1.0.0' });
    const [orders, latency, depth] = scope?.metrics ?? [];
    const time = {
      startTimeUnixNano: expect.stringMatching(/^\d{19}$/),
      timeUnixNano: expect.stringMatching(/^\d{19}$/),
    };
    expect(orders).toEqual({
      name: 'orders',
      description: 'orders placed',
      kind: 'sum',
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: [{ ...time, attributes: { region: 'eu' }, asInt: '5' }],
    });
    expect(latency).toMatchObject({ name: 'latency', unit: 'ms', kind: 'histogram', aggregationTemporality: 2 });
    expect(latency?.dataPoints).toEqual([
      {
        ...time,
        count: '1',
        sum: 12.5,
        min: 12.5,
        max: 12.5,
        bucketCounts: ['0', '0', '0', '1', ...Array<string>(12).fill('0')],
        explicitBounds: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
      },
    ]);
    expect(depth).toEqual({
      name: 'queue.depth',
      kind: 'gauge',
      dataPoints: [{ ...time, attributes: { queue: 'q1' }, asDouble: -1.5 }],
    });
  });
});

describe('decodeOtlpJson: what the SDK does not write', () => {
  it('takes enum names as their numbers (as the Collector does) and refuses unknown names', () => {
    expect(firstSpan({ kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_ERROR' } })).toMatchObject({
      kind: 5,
      status: { code: 2 },
    });
    expect(firstLog({ severityNumber: 'SEVERITY_NUMBER_FATAL4' })?.severityNumber).toBe(24);
    expect(firstMetric({ sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA' } })).toMatchObject({
      aggregationTemporality: 1,
    });
    // a number in a string is a number; an unknown number is kept (proto3 enums are open)
    expect(firstSpan({ kind: '2' })?.kind).toBe(2);
    expect(firstSpan({ kind: 9 })?.kind).toBe(9);
    expect(failure(tracesBody({ kind: 'SERVER' }))).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.kind: unknown name "SERVER"; expected a number or SPAN_KIND_UNSPECIFIED/,
    );
  });

  it('takes int64 as a number or a decimal string, keeps every digit of strings, refuses anything else', () => {
    const asString = firstSpan({
      startTimeUnixNano: '1714564800123456789',
      attributes: [{ key: 'n', value: { intValue: '-9223372036854775808' } }],
    });
    expect(asString).toMatchObject({
      startTimeUnixNano: '1714564800123456789',
      attributes: { n: '-9223372036854775808' },
    });
    expect(firstSpan({ startTimeUnixNano: 1_714_564_800_000, droppedAttributesCount: '7' })).toMatchObject({
      startTimeUnixNano: '1714564800000',
      droppedAttributesCount: 7,
    });
    expect(firstSpan({ startTimeUnixNano: '00042' })?.startTimeUnixNano).toBe('42');
    const at = 'resourceSpans[0].scopeSpans[0].spans[0]';
    expect(failure(tracesBody({ startTimeUnixNano: 1.5 }))).toBe(
      `${at}.startTimeUnixNano: must be an unsigned 64-bit integer (a number or a decimal string), not 1.5`,
    );
    expect(failure(tracesBody({ startTimeUnixNano: '-1' }))).toMatch(`${at}.startTimeUnixNano: must be an unsigned`);
    expect(failure(tracesBody({ endTimeUnixNano: '18446744073709551616' }))).toMatch(`${at}.endTimeUnixNano:`);
    expect(failure(tracesBody({ endTimeUnixNano: '1e9' }))).toMatch(`${at}.endTimeUnixNano:`);
    expect(failure(tracesBody({ flags: 2 ** 32 }))).toMatch(`${at}.flags: must be an unsigned 32-bit integer`);
  });

  it('reads only lowerCamelCase keys: snake_case ones inside are unknown fields, ignored like any other', () => {
    expect(firstSpan({ trace_id: 'ab'.repeat(16), name: 'n', start_time_unix_nano: '5', future: { x: 1 } })).toEqual({
      traceId: '',
      spanId: '',
      name: 'n',
      startTimeUnixNano: '0',
      endTimeUnixNano: '0',
    });
  });

  it('refuses a body without the top-level field of its signal: snake_case names, or another signal on this path', () => {
    // Accepting either would store nothing and answer 200: the sender would never know.
    for (const [body, signal] of [
      [{ resource_spans: [{ scope_spans: [{ spans: [{}] }] }] }, 'traces'],
      [{ resourceLogs: [{ scopeLogs: [] }] }, 'traces'],
    ] as const) {
      const result = decodeOtlpJson(Buffer.from(JSON.stringify(body)), signal);
      expect(result).toEqual({
        ok: false,
        message: expect.stringMatching(/^no resourceSpans in the body .*lowerCamelCase/),
      });
    }
    // An empty object is an empty request, as an empty protobuf body is.
    expect(decoded({}, 'traces')).toEqual({ signal: 'traces', resourceSpans: [] });
  });

  it('reads doubles from numbers and strings, NaN and the infinities kept as numbers', () => {
    const metric = firstMetric({
      gauge: {
        dataPoints: [{ asDouble: 'NaN' }, { asDouble: 'Infinity' }, { asDouble: '-Infinity' }, { asDouble: '2.5e1' }],
      },
    });
    expect(metric?.dataPoints.map((point) => point.asDouble)).toEqual([Number.NaN, Infinity, -Infinity, 25]);
    expect(firstSpan({ attributes: [{ key: 'x', value: { doubleValue: 'NaN' } }] })?.attributes).toEqual({
      x: Number.NaN,
    });
    expect(failure(tracesBody({ attributes: [{ key: 'x', value: { doubleValue: 'nan' } }] }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.doubleValue: must be a number, "NaN", "Infinity" or "-Infinity", not "nan"',
    );
  });

  it('takes hex ids in any case, returns them lowercase, and refuses other lengths and base64', () => {
    const span = firstSpan({
      traceId: '5B8EFFF798038103D269B633813FC60C',
      spanId: 'EEE19B7EC3C1B174',
      parentSpanId: '',
    });
    expect(span).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' });
    expect(span).not.toHaveProperty('parentSpanId');
    expect(failure(tracesBody({ traceId: '5b8efff79803' }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: must be 32 hex digits or empty, not "5b8efff79803" (12 characters)',
    );
    // what the plain protobuf JSON mapping would write: base64 of the 16 bytes
    expect(failure(tracesBody({ traceId: 'W47/95gDgQPSabYzgT/GDA==' }))).toMatch(/traceId: must be 32 hex digits/);
    expect(failure(tracesBody({ links: [{}, { spanId: 'zz'.repeat(8) }] }))).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.links\[1\]\.spanId: must be 16 hex digits/,
    );
    expect(failure({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 12 }] }] }] }, 'logs')).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].traceId: must be a string',
    );
  });

  it('unwraps every AnyValue variant; a key given twice keeps its last value; "__proto__" stays a key', () => {
    const body = firstLog({
      body: {
        kvlistValue: {
          values: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'b', value: { boolValue: false } },
            { key: 'i', value: { intValue: 7 } },
            { key: 'd', value: { doubleValue: 0.5 } },
            { key: 'y', value: { bytesValue: 'aGk' } },
            { key: 'u', value: { bytesValue: '-_8=' } },
            { key: 'a', value: { arrayValue: { values: [{ intValue: '1' }, {}, null] } } },
            { key: 'empty', value: {} },
            { key: 'novalue' },
            { key: 's', value: { stringValue: 'last' } },
            { key: '__proto__', value: { stringValue: 'p' } },
          ],
        },
      },
    })?.body;
    expect(body).toEqual({
      s: 'last',
      b: false,
      i: '7',
      d: 0.5,
      y: 'aGk=',
      u: '+/8=',
      a: ['1', null, null],
      empty: null,
      novalue: null,
      ['__proto__']: 'p',
    });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.hasOwn(body as object, '__proto__')).toBe(true);
    expect(failure(tracesBody({ attributes: [{ key: 'k', value: { stringValue: 'a', intValue: 1 } }] }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: holds stringValue and intValue; an AnyValue holds one value',
    );
    expect(failure(tracesBody({ attributes: [{ key: 'k', value: { bytesValue: 'not base64!' } }] }))).toMatch(
      /attributes\[0\]\.value\.bytesValue: must be base64$/,
    );
  });

  it('reads null as absent and drops fields at their proto3 default, so explicit defaults decode as omitted ones', () => {
    const explicit = firstSpan({
      traceId: null,
      name: null,
      kind: 0,
      flags: 0,
      traceState: '',
      droppedAttributesCount: 0,
      attributes: [],
      events: null,
      links: [],
    });
    expect(explicit).toEqual(firstSpan({}));
    expect(explicit).toEqual({ traceId: '', spanId: '', name: '', startTimeUnixNano: '0', endTimeUnixNano: '0' });
    // a string that reads "0" is not a default
    expect(firstLog({ severityText: '0', timeUnixNano: '0', observedTimeUnixNano: 0 })).toEqual({ severityText: '0' });
    expect(
      decoded<OtlpTracesRequest>({ resourceSpans: [{ scopeSpans: [{ scope: { version: '0' } }] }] }, 'traces'),
    ).toEqual({
      signal: 'traces',
      resourceSpans: [{ resource: { attributes: {} }, scopeSpans: [{ scope: { version: '0' }, spans: [] }] }],
    });
    // presence: a oneof value or an optional field at 0 is still a value
    expect(firstMetric({ gauge: { dataPoints: [{ asInt: 0 }] } })?.dataPoints).toEqual([{ asInt: '0' }]);
    expect(firstMetric({ histogram: { dataPoints: [{ sum: 0, min: 0, count: 0 }] } })?.dataPoints).toEqual([
      { sum: 0, min: 0 },
    ]);
    // a message has presence, its fields do not: an unset status is {} however it is written
    expect(firstSpan({ status: { code: 0, message: '' } })?.status).toStrictEqual({});
    expect(firstSpan({ status: { code: 'STATUS_CODE_UNSET' } })?.status).toStrictEqual({});
    expect(firstSpan({})).not.toHaveProperty('status');
    // -0 is a double's value (protobuf's serializers write it), +0 its default
    expect(firstMetric({ summary: { dataPoints: [{ sum: '-0' }, { sum: 0 }] } })?.dataPoints).toStrictEqual([
      { sum: -0 },
      {},
    ]);
  });

  it('reads an empty AnyValue as a log body as no body, and as any other value as null', () => {
    expect(firstLog({ body: {} })).toStrictEqual({});
    expect(firstLog({ body: { stringValue: null } })).toStrictEqual({});
    expect(firstLog({ body: null })).toStrictEqual({});
    expect(firstLog({ body: { stringValue: '' } })).toStrictEqual({ body: '' });
    expect(firstLog({ body: { arrayValue: { values: [{}] } }, attributes: [{ key: 'k', value: {} }] })).toStrictEqual({
      body: [null],
      attributes: { k: null },
    });
  });

  it('reads each metric kind with its own point fields and refuses a metric of two kinds', () => {
    const exponential = firstMetric({
      name: 'e',
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: [
          {
            timeUnixNano: '9',
            count: '3',
            scale: -2,
            zeroCount: 1,
            zeroThreshold: 0.001,
            positive: { offset: -1, bucketCounts: [1, '1'] },
            negative: {},
            exemplars: [
              {
                asDouble: 1.5,
                spanId: 'AAAAAAAAAAAAAAAA',
                filteredAttributes: [{ key: 'k', value: { stringValue: 'v' } }],
              },
            ],
            asDouble: 99,
          },
        ],
      },
    });
    expect(exponential).toEqual({
      name: 'e',
      kind: 'exponentialHistogram',
      aggregationTemporality: 1,
      dataPoints: [
        {
          timeUnixNano: '9',
          count: '3',
          scale: -2,
          zeroCount: '1',
          zeroThreshold: 0.001,
          positive: { offset: -1, bucketCounts: ['1', '1'] },
          negative: {},
          exemplars: [{ asDouble: 1.5, spanId: 'aaaaaaaaaaaaaaaa', filteredAttributes: { k: 'v' } }],
        },
      ],
    });
    const summary = firstMetric({
      name: 's',
      summary: {
        isMonotonic: true,
        dataPoints: [{ count: 2, sum: 3, quantileValues: [{ quantile: 0.5, value: 1 }, {}] }],
      },
    });
    expect(summary).toEqual({
      name: 's',
      kind: 'summary',
      dataPoints: [{ count: '2', sum: 3, quantileValues: [{ quantile: 0.5, value: 1 }, {}] }],
    });
    expect(firstMetric({ name: 'nothing' })).toEqual({ name: 'nothing', dataPoints: [] });
    expect(failure({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ gauge: {}, sum: {} }] }] }] }, 'metrics')).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].sum: a metric is one of gauge, sum, histogram, exponentialHistogram, summary, not gauge and sum',
    );
    expect(
      failure(
        { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ sum: { dataPoints: [{ asInt: 1, asDouble: 1 }] } }] }] }] },
        'metrics',
      ),
    ).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: a value is asDouble or asInt, not both',
    );
  });
});

describe('decodeOtlpJson: bodies it refuses, with where and why', () => {
  it('refuses bodies that are not UTF-8, not JSON or not an object', () => {
    expect(failure(Uint8Array.from([0x7b, 0xff, 0x7d]))).toBe('the body is not UTF-8');
    expect(failure(Buffer.from('{"resourceSpans": ['))).toMatch(/^the body is not JSON: /);
    expect(failure(Buffer.from(''))).toMatch(/^the body is not JSON: /);
    expect(failure(Buffer.from('[]'))).toBe('the body must be a JSON object (an export request)');
    expect(failure(Buffer.from('null'))).toBe('the body must be a JSON object (an export request)');
  });

  it('refuses wrong types for known fields, naming the field', () => {
    expect(failure({ resourceSpans: {} })).toBe('resourceSpans: must be an array');
    expect(failure({ resourceSpans: [1] })).toBe('resourceSpans[0]: must be an object');
    expect(failure({ resourceSpans: [{ resource: [] }] })).toBe('resourceSpans[0].resource: must be an object');
    expect(failure({ resourceSpans: [{ scopeSpans: [{}, { spans: 'x' }] }] })).toBe(
      'resourceSpans[0].scopeSpans[1].spans: must be an array',
    );
    expect(failure({ resourceSpans: [{ scopeSpans: [{}, { spans: [{}, {}, {}, { name: 5 }] }] }] })).toBe(
      'resourceSpans[0].scopeSpans[1].spans[3].name: must be a string',
    );
    expect(failure(tracesBody({ attributes: { k: 'v' } }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes: must be an array',
    );
    expect(failure(tracesBody({ attributes: [{ key: 1 }] }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].key: must be a string',
    );
    expect(failure({ resourceSpans: [{ scopeSpans: [{ scope: { name: 'a', version: 2 } }] }] })).toBe(
      'resourceSpans[0].scopeSpans[0].scope.version: must be a string',
    );
    expect(
      failure({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ sum: { isMonotonic: 'yes' } }] }] }] }, 'metrics'),
    ).toBe('resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: must be true or false');
    expect(
      failure(
        {
          resourceMetrics: [
            { scopeMetrics: [{ metrics: [{ histogram: { dataPoints: [{ bucketCounts: [1, null] }] } }] }] },
          ],
        },
        'metrics',
      ),
    ).toBe('resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: must not be null');
  });

  it('refuses values nested deeper than maxValueDepth, and only those', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxValueDepth: 4 };
    const at = (value: object) => tracesBody({ attributes: [{ key: 'deep', value }] });
    expect(decodeOtlpJson(json(at(nested(4))), 'traces', limits).ok).toBe(true);
    expect(failure(at(nested(5)), 'traces', limits)).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value(\.arrayValue\.values\[0\]){4}: arrays and key-value lists are nested more than 4 deep$/,
    );
    const list = { kvlistValue: { values: [{ key: 'a', value: nested(4) }] } };
    expect(failure(at(list), 'traces', limits)).toMatch(/nested more than 4 deep$/);
    // far deeper than any stack: refused at the limit, never walked
    const hostile = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(100_000)}${']}}'.repeat(100_000)}}]}]}]}]}`;
    expect(failure(Buffer.from(hostile))).toMatch(/nested more than 32 deep$/);
    // nor is a deep value where a scalar belongs, not even to quote it
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(failure(Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":${deep}}]}]}]}`))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: must be an unsigned 64-bit integer (a number or a decimal string), not an array',
    );
  });

  it('refuses more than maxItems spans, log records or data points in all', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxItems: 3 };
    const spans = (count: number) => ({ scopeSpans: [{ spans: Array.from({ length: count }, () => ({})) }] });
    expect(decodeOtlpJson(json({ resourceSpans: [spans(2), spans(1)] }), 'traces', limits).ok).toBe(true);
    expect(failure({ resourceSpans: [spans(2), spans(2)] }, 'traces', limits)).toBe(
      'resourceSpans[1].scopeSpans[0].spans: the request holds more than 3 items (spans, log records, data points)',
    );
    const points = {
      resourceMetrics: [
        { scopeMetrics: [{ metrics: [{ gauge: { dataPoints: [{}, {}] } }, { sum: { dataPoints: [{}, {}] } }] }] },
      ],
    };
    expect(failure(points, 'metrics', limits)).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints: the request holds more than 3 items (spans, log records, data points)',
    );
    const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [{}, {}, {}, {}] }] }] };
    expect(failure(logs, 'logs', limits)).toMatch(
      /^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords: the request holds more than 3/,
    );
  });

  it('refuses more than maxMessages embedded messages, counting every object that stands for one', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxMessages: 10 };
    // resourceSpans[0], its resource, scopeSpans[0], its scope, the span, its status: 6; then each
    // attribute is a KeyValue and an AnyValue, and an array value one more, each element one more.
    const span = (attributes: object[]) => ({
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ attributes, status: {} }] }] }],
    });
    const pair = { key: 'k', value: { stringValue: 'v' } };
    expect(decodeOtlpJson(json(span([pair, pair])), 'traces', limits).ok).toBe(true);
    // a list's elements are counted all at once, before any is read; then their values, one by one
    expect(failure(span(Array.from({ length: 5 }, () => ({ key: 'k' }))), 'traces', limits)).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes: more than maxMessages (10) embedded messages',
    );
    expect(failure(span([pair, pair, { key: 'k' }]), 'traces', limits)).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value: more than maxMessages (10) embedded messages',
    );
    const list = (values: (object | null)[]) => span([{ key: 'k', value: { arrayValue: { values } } }]);
    expect(decodeOtlpJson(json(list([{}])), 'traces', limits).ok).toBe(true);
    // a null element counts: it stands for the empty AnyValue protobuf would have to send
    expect(failure(list([{}, null]), 'traces', limits)).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values: more than maxMessages (10) embedded messages',
    );
    const million = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[${Array<string>(1_000_000).fill('{}').join(',')}]}]}]}]}`;
    expect(failure(Buffer.from(million), 'logs')).toBe(
      `resourceLogs[0].scopeLogs[0].logRecords[0].attributes: more than maxMessages (${DEFAULT_DECODE_LIMITS.maxMessages}) embedded messages`,
    );
  });

  it('never throws, whatever the body (generated JSON, OTLP-shaped or not, and raw bytes)', () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('NaN', '5B8EFFF798038103D269B633813FC60C', '-1', 'SPAN_KIND_SERVER'),
    );
    const anyValue = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.record({ stringValue: leaf }, { requiredKeys: [] }),
        fc.record({ intValue: leaf, doubleValue: leaf, bytesValue: leaf, boolValue: leaf }, { requiredKeys: [] }),
        fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
        fc.record({
          kvlistValue: fc.record({ values: fc.array(fc.record({ key: leaf, value: tie('value') }), { maxLength: 3 }) }),
        }),
        leaf,
      ),
    })).value;
    const attributes = fc.oneof(
      fc.array(fc.record({ key: leaf, value: anyValue }, { requiredKeys: [] }), { maxLength: 3 }),
      leaf,
    );
    const fields = [
      'traceId',
      'spanId',
      'parentSpanId',
      'name',
      'kind',
      'startTimeUnixNano',
      'timeUnixNano',
      'flags',
      'severityNumber',
      'asInt',
      'asDouble',
      'count',
      'sum',
      'bucketCounts',
      'explicitBounds',
      'status',
      'positive',
      'quantileValues',
      'aggregationTemporality',
      'isMonotonic',
    ];
    const item = fc.oneof(
      fc
        .dictionary(fc.constantFrom(...fields), leaf, { maxKeys: 6 })
        .chain((base) =>
          fc
            .record(
              { attributes, body: anyValue, events: fc.array(fc.record({ attributes }), { maxLength: 2 }) },
              { requiredKeys: [] },
            )
            .map((more) => ({ ...base, ...more })),
        ),
      leaf,
    );
    const list = fc.oneof(fc.array(item, { maxLength: 3 }), leaf);
    const metric = fc.record(
      {
        name: leaf,
        gauge: fc.record({ dataPoints: list }),
        sum: fc.record({ dataPoints: list, isMonotonic: leaf }),
        summary: fc.record({ dataPoints: list }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({
        resourceSpans: fc.array(
          fc.record(
            { resource: fc.record({ attributes }), scopeSpans: fc.array(fc.record({ scope: leaf, spans: list })) },
            { requiredKeys: [] },
          ),
        ),
      }),
      fc.record({
        resourceLogs: fc.array(fc.record({ scopeLogs: fc.array(fc.record({ logRecords: list }), { maxLength: 2 }) })),
      }),
      fc.record({
        resourceMetrics: fc.array(
          fc.record({
            scopeMetrics: fc.array(fc.record({ metrics: fc.oneof(fc.array(metric, { maxLength: 3 }), leaf) })),
          }),
        ),
      }),
    );
    const signal = fc.constantFrom<OtlpSignal>('traces', 'logs', 'metrics');
    const limits = fc.record({
      maxValueDepth: fc.integer({ min: 0, max: 4 }),
      maxItems: fc.integer({ min: 0, max: 5 }),
      maxMessages: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(body, signal, limits, (value, sig, lim) => {
        const result = decodeOtlpJson(json(value), sig, lim);
        return result.ok
          ? result.request.signal === sig
          : typeof result.message === 'string' && result.message.length > 0;
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), signal, (bytes, sig) => {
        const result = decodeOtlpJson(bytes, sig);
        return result.ok || result.message.length > 0;
      }),
      { numRuns: 500 },
    );
  });
});
