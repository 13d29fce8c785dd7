/**
 * otlpItems: decoded OTLP (from bodies the real OpenTelemetry JS SDKs write) → one event item per
 * span, log record and data point, in request order, as normalizeEvent and prepareEvents take them:
 * source from `service.name` (else `unknown_service`), type, timestamp, durationMs, the rest as
 * payload under OTLP's names, nothing dropped. Ids are content-derived, so a resent request maps to
 * the same ids, another key's to others. No services needed.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { v5 } from 'uuid';
import type { ParsedItem } from '../../lib/ingest/parseItems';
import { prepareEvents } from '../../lib/ingest/prepareEvents';
import { decodeOtlpJson } from '../../lib/otlp/json/decode';
import type { OtlpLogRecord, OtlpLogsRequest, OtlpRequest, OtlpSpan, OtlpTracesRequest } from '../../lib/otlp/model';
import { otlpItems } from '../../lib/otlp/toItems';
import { EVENT_ID_NAMESPACE } from '../../lib/telemetry/ids';
import { DEFAULT_SOURCE } from '../../lib/telemetry/normalize';

const KEY = { idScope: 'a1'.repeat(32) };
const OTHER_KEY = { idScope: 'b2'.repeat(32) };
const resource = resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment.name': 'prod' });
const START: [number, number] = [1_714_564_800, 123_456_789];
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** What a Json*Serializer wrote (its type allows undefined, for a failure it reports elsewhere). */
function serialized(bytes: Uint8Array | undefined): Uint8Array {
  if (bytes === undefined) throw new Error('the serializer wrote nothing');
  return bytes;
}

function request(body: Uint8Array, signal: OtlpRequest['signal']): OtlpRequest {
  const result = decodeOtlpJson(body, signal);
  if (!result.ok) throw new Error(result.message);
  return result.request;
}

function values(items: ParsedItem[]): Record<string, unknown>[] {
  return items.map((item) => {
    if (!item.ok) throw new Error(`expected an item, got: ${item.error}`);
    return item.value as Record<string, unknown>;
  });
}

function ids(items: ParsedItem[]): unknown[] {
  return items.map((item) => (item.ok ? (item.value as { eventId: unknown }).eventId : item.error));
}

function spans(...list: Partial<OtlpSpan>[]): OtlpTracesRequest {
  const full = list.map((span) => ({
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: 'op',
    startTimeUnixNano: '1714564800123456789',
    endTimeUnixNano: '1714564800124456789',
    ...span,
  }));
  return {
    signal: 'traces',
    resourceSpans: [{ resource: { attributes: {} }, scopeSpans: [{ scope: {}, spans: full }] }],
  };
}

function logs(attributes: Record<string, string>, ...records: OtlpLogRecord[]): OtlpLogsRequest {
  return {
    signal: 'logs',
    resourceLogs: [{ resource: { attributes }, scopeLogs: [{ scope: { name: 'app' }, logRecords: records }] }],
  };
}

async function sdkTraces(): Promise<{ body: Uint8Array; server: string; client: string; traceId: string }> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('checkout-lib', '2.0.1');
  const server = tracer.startSpan('POST /orders', {
    kind: SpanKind.SERVER,
    startTime: START,
    attributes: { 'http.status': 402 },
  });
  const client = tracer.startSpan(
    'charge',
    { kind: SpanKind.CLIENT, startTime: START },
    trace.setSpan(context.active(), server),
  );
  client.addEvent('declined', { code: 51 });
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  client.end([START[0], START[1] + 2_500_001]);
  server.end([START[0] + 1, START[1]]);
  await provider.forceFlush();
  return {
    body: serialized(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())),
    server: server.spanContext().spanId,
    client: client.spanContext().spanId,
    traceId: server.spanContext().traceId,
  };
}

describe('otlpItems: spans', () => {
  it('maps each SDK span to a span event: source, timestamp, duration, payload under OTLP names', async () => {
    const { body, server, client, traceId } = await sdkTraces();
    const [charge, post] = values(otlpItems(request(body, 'traces'), KEY));
    expect(charge).toEqual({
      eventId: v5(`otlp:${KEY.idScope}:span:${traceId}:${client}`, EVENT_ID_NAMESPACE),
      source: 'checkout',
      type: 'span',
      timestamp: '2024-05-01T12:00:00.123Z',
      durationMs: 2.500001,
      resource: { 'service.name': 'checkout', 'deployment.environment.name': 'prod' },
      scope: { name: 'checkout-lib', version: '2.0.1' },
      traceId,
      spanId: client,
      parentSpanId: server,
      name: 'charge',
      kind: 3,
      flags: 257,
      startTimeUnixNano: '1714564800123456789',
      endTimeUnixNano: '1714564800125956790',
      events: [{ name: 'declined', timeUnixNano: expect.stringMatching(/^\d{19}$/), attributes: { code: '51' } }],
      status: { code: 2, message: 'card declined' },
    });
    expect(post).toMatchObject({ spanId: server, durationMs: 1000, kind: 2, attributes: { 'http.status': '402' } });
  });

  it('gives items normalizeEvent takes as they are: named fields out, everything else payload', async () => {
    const { body, client } = await sdkTraces();
    const items = otlpItems(request(body, 'traces'), KEY);
    const { prepared, rejected } = prepareEvents(items, {
      tenant: 'test',
      idempotencyKey: undefined,
      receivedAt: '2024-05-01T12:00:01.000Z',
    });
    expect(rejected).toEqual([]);
    const event = prepared[0]?.event;
    expect(event).toMatchObject({
      eventId: (items[0] as { value: { eventId: string } }).value.eventId,
      source: 'checkout',
      type: 'span',
      timestamp: '2024-05-01T12:00:00.123Z',
      durationMs: 2.500001,
    });
    expect(Object.keys(event?.payload ?? {}).sort()).toEqual(
      [
        'endTimeUnixNano',
        'events',
        'flags',
        'kind',
        'name',
        'parentSpanId',
        'resource',
        'scope',
        'spanId',
        'startTimeUnixNano',
        'status',
        'traceId',
      ].sort(),
    );
    expect(event?.payload.spanId).toBe(client);
  });

  it('keeps every field of the span, resource and scope, and keeps request order across resources and scopes', () => {
    const span: OtlpSpan = {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceState: 'vendor=1',
      parentSpanId: 'c'.repeat(16),
      flags: 1,
      name: 'op',
      kind: 2,
      startTimeUnixNano: '1714564800123456789',
      endTimeUnixNano: '1714564800124456789',
      attributes: { a: '1' },
      droppedAttributesCount: 1,
      events: [{ timeUnixNano: '1714564800123456790', name: 'e' }],
      droppedEventsCount: 2,
      links: [{ traceId: TRACE_ID, spanId: 'd'.repeat(16) }],
      droppedLinksCount: 3,
      status: { code: 1 },
    };
    const scope = { name: 's', version: '1', attributes: { x: true }, droppedAttributesCount: 4 };
    const traces: OtlpTracesRequest = {
      signal: 'traces',
      resourceSpans: [
        {
          resource: { attributes: { 'service.name': 'first' }, droppedAttributesCount: 5 },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeSpans: [
            { scope, schemaUrl: 'https://example.com/s', spans: [span] },
            { scope: {}, spans: [{ ...span, spanId: '1'.repeat(16) }] },
          ],
        },
        {
          resource: { attributes: { 'service.name': 'second' } },
          scopeSpans: [{ scope: {}, spans: [{ ...span, spanId: '2'.repeat(16) }] }],
        },
      ],
    };
    const [full, second, third] = values(otlpItems(traces, KEY));
    expect(full).toEqual({
      eventId: expect.any(String),
      source: 'first',
      type: 'span',
      timestamp: '2024-05-01T12:00:00.123Z',
      durationMs: 1,
      resource: { 'service.name': 'first' },
      resourceDroppedAttributesCount: 5,
      resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scope: { ...scope, schemaUrl: 'https://example.com/s' },
      ...span,
    });
    expect([second, third].map((item) => [item?.source, item?.spanId, item?.scope])).toEqual([
      ['first', '1'.repeat(16), undefined],
      ['second', '2'.repeat(16), undefined],
    ]);
  });

  it('refuses spans without a usable traceId, spanId or start time, and keeps the others', () => {
    const items = otlpItems(
      spans(
        { traceId: '' },
        { spanId: '0000000000000000' },
        { traceId: '0'.repeat(32) },
        { startTimeUnixNano: '0' },
        { name: 'fine' },
      ),
      KEY,
    );
    expect(items.map((item) => (item.ok ? 'ok' : `${item.code}: ${item.error}`))).toEqual([
      'INVALID_EVENT: span has no traceId (OTLP requires 16 bytes, not all zero)',
      'INVALID_EVENT: span has no spanId (OTLP requires 8 bytes, not all zero)',
      'INVALID_EVENT: span has no traceId (OTLP requires 16 bytes, not all zero)',
      'INVALID_EVENT: span has no startTimeUnixNano',
      'ok',
    ]);
  });

  it('gives a span that ends before it starts (or never ended) no duration, and keeps both times', () => {
    const [backwards, unended] = values(
      otlpItems(
        spans({ endTimeUnixNano: '1714564800000000000' }, { spanId: 'a'.repeat(16), endTimeUnixNano: '0' }),
        KEY,
      ),
    );
    expect(backwards).toMatchObject({
      durationMs: null,
      startTimeUnixNano: '1714564800123456789',
      endTimeUnixNano: '1714564800000000000',
    });
    expect(unended).toMatchObject({ durationMs: null, endTimeUnixNano: '0' });
  });

  it('uses unknown_service as the source when service.name is absent, empty or not a string', () => {
    const withResource = (attributes: Record<string, string | number>) => {
      const base = spans({});
      const [first] = base.resourceSpans;
      if (first) first.resource = { attributes };
      return values(otlpItems(base, KEY))[0]?.source;
    };
    expect(DEFAULT_SOURCE).toBe('unknown_service');
    expect(withResource({})).toBe('unknown_service');
    expect(withResource({ 'service.name': '' })).toBe('unknown_service');
    expect(withResource({ 'service.name': 7 })).toBe('unknown_service');
    expect(withResource({ 'service.name': 'billing' })).toBe('billing');
  });

  it("derives a span's id from its traceId and spanId only", () => {
    const [a, b, c] = ids(
      otlpItems(spans({ name: 'one' }, { name: 'two', endTimeUnixNano: '0' }, { spanId: 'b'.repeat(16) }), KEY),
    );
    expect(a).toBe(v5(`otlp:${KEY.idScope}:span:${TRACE_ID}:${SPAN_ID}`, EVENT_ID_NAMESPACE));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(ids(otlpItems(spans({}), OTHER_KEY))[0]).not.toBe(a);
  });
});

describe('otlpItems: log records', () => {
  it('maps SDK log records: time, else observed time; body, severity and trace context in the payload', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('app-log');
    const span = new BasicTracerProvider().getTracer('t').startSpan('s');
    logger.emit({
      context: trace.setSpan(context.active(), span),
      timestamp: START,
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: { msg: 'declined', raw: new Uint8Array([1]) },
      attributes: { user: 'u-1' },
    });
    logger.emit({ observedTimestamp: [START[0] + 60, 0], body: 'observed only' });
    await provider.forceFlush();
    const decoded = request(serialized(JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())), 'logs');
    // the SDK stamps an observed time on every record; take it away from the second, and its time too
    const records = (decoded as OtlpLogsRequest).resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    if (records[1]) delete records[1].timeUnixNano;
    const [first, second] = values(otlpItems(decoded, KEY));
    expect(first).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: 'checkout',
      type: 'log',
      timestamp: '2024-05-01T12:00:00.123Z',
      resource: { 'service.name': 'checkout', 'deployment.environment.name': 'prod' },
      scope: { name: 'app-log' },
      timeUnixNano: '1714564800123456789',
      observedTimeUnixNano: expect.stringMatching(/^\d{19}$/),
      severityNumber: 17,
      severityText: 'ERROR',
      body: { msg: 'declined', raw: 'AQ==' },
      attributes: { user: 'u-1' },
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      flags: 1,
    });
    expect(second).toMatchObject({
      timestamp: '2024-05-01T12:01:00.000Z',
      observedTimeUnixNano: '1714564860000000000',
      body: 'observed only',
    });
    expect(second).not.toHaveProperty('durationMs');
  });

  it('refuses a record with neither time', () => {
    expect(otlpItems(logs({}, { body: 'x' }, { timeUnixNano: '0', observedTimeUnixNano: '0' }), KEY)).toEqual([
      { ok: false, code: 'INVALID_EVENT', error: 'log record has neither timeUnixNano nor observedTimeUnixNano' },
      { ok: false, code: 'INVALID_EVENT', error: 'log record has neither timeUnixNano nor observedTimeUnixNano' },
    ]);
  });

  it('derives ids from content: stable across resends and regrouping, different for other content or keys', () => {
    const one = { timeUnixNano: '1714564800000000001', body: 'a', attributes: { k: 'v', n: '1' } };
    const two = { timeUnixNano: '1714564800000000001', body: 'b', attributes: { k: 'v', n: '1' } };
    const service = { 'service.name': 'api' };
    const [idOne, idTwo] = ids(otlpItems(logs(service, one, two), KEY));
    expect(idOne).not.toBe(idTwo);
    // the same request again, and the same records sent one per request, keys in another order
    expect(ids(otlpItems(logs(service, one, two), KEY))).toEqual([idOne, idTwo]);
    expect(ids(otlpItems(logs(service, two), KEY))).toEqual([idTwo]);
    expect(
      ids(otlpItems(logs(service, { attributes: { n: '1', k: 'v' }, body: 'a', timeUnixNano: one.timeUnixNano }), KEY)),
    ).toEqual([idOne]);
    // what the record is part of counts too: its resource, its scope, whose key sent it
    expect(ids(otlpItems(logs({ 'service.name': 'web' }, one), KEY))).not.toEqual([idOne]);
    const otherScope = logs(service, one);
    const [scopeLogs] = otherScope.resourceLogs[0]?.scopeLogs ?? [];
    if (scopeLogs) scopeLogs.scope = { name: 'app', version: '2' };
    expect(ids(otlpItems(otherScope, KEY))).not.toEqual([idOne]);
    expect(ids(otlpItems(logs(service, one), OTHER_KEY))).not.toEqual([idOne]);
  });

  it('keeps identical records apart: the nth repeat in a request gets its own id, the same in a resend', () => {
    // Two `logger.emit` calls with the same body in one millisecond: the SDK gives them the same time.
    const same = { timeUnixNano: '1714564800000000000', body: 'retrying', attributes: { k: 'v' } };
    const service = { 'service.name': 'api' };
    const first = ids(otlpItems(logs(service, same, same, same), KEY));
    expect(new Set(first).size).toBe(3);
    expect(ids(otlpItems(logs(service, same, same, same), KEY))).toEqual(first);
    // The first of them has the id the record alone would have.
    expect(ids(otlpItems(logs(service, same), KEY))).toEqual([first[0]]);
  });

  it('writes NaN and the infinities as strings, which normalizeEvent stores', () => {
    const record = { timeUnixNano: '1714564800000000000', body: [Number.NaN, Infinity, -Infinity, 1.5] };
    const items = otlpItems(logs({}, record), KEY);
    expect(values(items)[0]?.body).toEqual(['NaN', 'Infinity', '-Infinity', 1.5]);
    const { prepared } = prepareEvents(items, {
      tenant: 'test',
      idempotencyKey: undefined,
      receivedAt: '2024-05-01T12:00:01.000Z',
    });
    expect(JSON.parse(prepared[0]?.record.data.toString() ?? '{}').payload.body).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      1.5,
    ]);
  });
});

describe('otlpItems: metrics', () => {
  it('maps each SDK data point to a metric event with its metric described, in request order', async () => {
    class CollectingReader extends MetricReader {
      protected async onShutdown(): Promise<void> {}
      protected async onForceFlush(): Promise<void> {}
    }
    const reader = new CollectingReader();
    const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('orders-meter');
    const orders = meter.createCounter('orders', { unit: '{order}' });
    orders.add(2, { region: 'eu' });
    orders.add(3, { region: 'us' });
    meter.createHistogram('latency', { unit: 'ms' }).record(12.5);
    meter.createGauge('queue.depth').record(4);
    const { resourceMetrics } = await reader.collect();
    const items = otlpItems(
      request(serialized(JsonMetricsSerializer.serializeRequest(resourceMetrics)), 'metrics'),
      KEY,
    );

    const mapped = values(items);
    expect(mapped.map((item) => [(item.metric as { name: string }).name, item.type, item.source])).toEqual([
      ['orders', 'metric', 'checkout'],
      ['orders', 'metric', 'checkout'],
      ['latency', 'metric', 'checkout'],
      ['queue.depth', 'metric', 'checkout'],
    ]);
    expect(mapped[0]).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: 'checkout',
      type: 'metric',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      resource: { 'service.name': 'checkout', 'deployment.environment.name': 'prod' },
      scope: { name: 'orders-meter' },
      metric: { name: 'orders', unit: '{order}', kind: 'sum', aggregationTemporality: 2, isMonotonic: true },
      attributes: { region: 'eu' },
      startTimeUnixNano: expect.stringMatching(/^\d{19}$/),
      timeUnixNano: expect.stringMatching(/^\d{19}$/),
      asDouble: 2,
    });
    expect(mapped[0]?.timestamp).toBe(
      new Date(Number(BigInt(mapped[0]?.timeUnixNano as string) / 1_000_000n)).toISOString(),
    );
    expect(mapped[2]).toMatchObject({
      metric: { kind: 'histogram', unit: 'ms' },
      count: '1',
      sum: 12.5,
      bucketCounts: expect.any(Array),
    });
    expect(new Set(ids(items)).size).toBe(4);
    expect(
      ids(otlpItems(request(serialized(JsonMetricsSerializer.serializeRequest(resourceMetrics)), 'metrics'), KEY)),
    ).toEqual(ids(items));
  });

  it('refuses a point without a time, and tells points of two metrics apart by the metric', () => {
    const point = { timeUnixNano: '1714564800000000000', asDouble: 1 };
    const metrics: OtlpRequest = {
      signal: 'metrics',
      resourceMetrics: [
        {
          resource: { attributes: {} },
          scopeMetrics: [
            {
              scope: {},
              metrics: [
                { name: 'a', kind: 'gauge', dataPoints: [point, { asDouble: 1 }] },
                { name: 'b', kind: 'gauge', dataPoints: [point] },
              ],
            },
          ],
        },
      ],
    };
    const items = otlpItems(metrics, KEY);
    expect(items[1]).toEqual({
      ok: false,
      code: 'INVALID_EVENT',
      error: 'data point of metric "a" has no timeUnixNano',
    });
    expect(items[0]?.ok && items[2]?.ok && ids(items)[0] !== ids(items)[2]).toBe(true);
  });
});
