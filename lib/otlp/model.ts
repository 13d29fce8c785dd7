/**
 * What an OTLP/HTTP export request holds once decoded, the same whichever encoding it came in
 * (`application/x-protobuf` or `application/json`). The shape follows OTLP's JSON mapping
 * (opentelemetry-proto, `opentelemetry/proto/{common,resource,trace,logs,metrics}/v1/*.proto`):
 * lowerCamelCase fields, trace and span ids as lowercase hex, 64-bit integers (times in Unix
 * nanoseconds, counts) as decimal strings so nothing loses precision, enums as their numbers,
 * attribute values as plain JSON (`AnyValue` unwrapped: bytes as base64).
 *
 * One normal form, so that the same data gives the same model (and so the same event ids and
 * payloads, lib/otlp/toItems.ts) in either encoding, whatever an exporter chose to write out:
 *
 * - A field WITHOUT presence (a plain proto3 scalar, a repeated field) at its proto3 default is
 *   ABSENT: 0, '0' for 64-bit integers, '' (ids included), false, an empty list, no attributes.
 *   proto3 cannot tell such a field sent from one left out, so neither may the model: the JS SDK's
 *   protobuf serializer writes `dropped_attributes_count = 0`, its JSON one `"attributes": []`.
 *   A double's default is +0 only: -0 is a value, as protobuf's own serializers (which compare
 *   bits) keep it on the wire.
 * - Fields the types below make required are always there, at their default when not sent:
 *   span and link ids (''), span and event names ('') and times ('0'), a metric's `name` and
 *   `dataPoints`; and the messages `resource` (`{ attributes: {} }`) and `scope` (`{}`), for which
 *   not sent and sent empty are then one thing (OTLP: without a resource "no resource info is
 *   known"; the SDKs always send both).
 * - A field WITH presence keeps its value even at the default (`.proto` at opentelemetry-proto
 *   ac2c4b5): the oneof members, i.e. every `AnyValue` variant (`false`, '0', 0, '' are values),
 *   `asDouble` / `asInt` of number points and exemplars, and Metric's `data` (`kind`); the
 *   `optional double sum, min, max` of histogram and exponential histogram points (a summary's
 *   `sum` has no presence); and the message fields `status`, `positive`, `negative`, present
 *   when sent, with their own fields under the first rule. So an unset status is `status: {}`,
 *   whether the wire says `status {}` or `status { code: 0 }`; no status at all is no `status`.
 * - One exception: a log record's `body` that is an empty `AnyValue` (no variant: JSON `{}` or
 *   `null`) is absent, not null. The model cannot tell it from no body (proto3 JSON reads `null`
 *   as absent), and the JS SDK writes `"body": {}` in JSON for a record it writes no body for in
 *   protobuf. An empty `AnyValue` elsewhere (an attribute's value, an array element) is `null`.
 * - Doubles are JS numbers, NaN and ±Infinity included (the protobuf wire's IEEE 754 values; the
 *   JSON strings "NaN", "Infinity", "-Infinity"). The mapping to events writes those three as
 *   strings, since JSON has no such numbers.
 */

/** `AnyValue` unwrapped: string, boolean, number (int64 as a decimal string), array, key-value object, or base64 bytes. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

export type OtlpAttributes = Record<string, OtlpValue>;

export interface OtlpResource {
  attributes: OtlpAttributes;
  droppedAttributesCount?: number;
}

export interface OtlpScope {
  name?: string;
  version?: string;
  attributes?: OtlpAttributes;
  droppedAttributesCount?: number;
}

export interface OtlpSpanEvent {
  timeUnixNano: string;
  name: string;
  attributes?: OtlpAttributes;
  droppedAttributesCount?: number;
}

export interface OtlpSpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes?: OtlpAttributes;
  droppedAttributesCount?: number;
  flags?: number;
}

export interface OtlpSpan {
  /** 32 lowercase hex digits; empty when the sender sent none (such a span is rejected). */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttributes;
  droppedAttributesCount?: number;
  events?: OtlpSpanEvent[];
  droppedEventsCount?: number;
  links?: OtlpSpanLink[];
  droppedLinksCount?: number;
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status?: { code?: number; message?: string };
}

export interface OtlpLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  /** SeverityNumber 0-24. */
  severityNumber?: number;
  severityText?: string;
  body?: OtlpValue;
  attributes?: OtlpAttributes;
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

export interface OtlpExemplar {
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
  spanId?: string;
  traceId?: string;
  filteredAttributes?: OtlpAttributes;
}

/** One data point of any metric kind: the fields its kind has (NumberDataPoint, HistogramDataPoint, ...). */
export interface OtlpDataPoint {
  attributes?: OtlpAttributes;
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  /** Number points. */
  asDouble?: number;
  asInt?: string;
  /** Histogram, exponential histogram and summary points. */
  count?: string;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  scale?: number;
  zeroCount?: string;
  zeroThreshold?: number;
  positive?: { offset?: number; bucketCounts?: string[] };
  negative?: { offset?: number; bucketCounts?: string[] };
  quantileValues?: { quantile?: number; value?: number }[];
  exemplars?: OtlpExemplar[];
  flags?: number;
}

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface OtlpMetric {
  name: string;
  description?: string;
  unit?: string;
  metadata?: OtlpAttributes;
  /** Which of the proto's `data` oneof the metric has; absent when it has none (its points are then none). */
  kind?: OtlpMetricKind;
  dataPoints: OtlpDataPoint[];
  /** Sum, histogram and exponential histogram: 1 delta, 2 cumulative. */
  aggregationTemporality?: number;
  /** Sum only. */
  isMonotonic?: boolean;
}

export interface OtlpTracesRequest {
  signal: 'traces';
  resourceSpans: {
    resource: OtlpResource;
    schemaUrl?: string;
    scopeSpans: { scope: OtlpScope; schemaUrl?: string; spans: OtlpSpan[] }[];
  }[];
}

export interface OtlpLogsRequest {
  signal: 'logs';
  resourceLogs: {
    resource: OtlpResource;
    schemaUrl?: string;
    scopeLogs: { scope: OtlpScope; schemaUrl?: string; logRecords: OtlpLogRecord[] }[];
  }[];
}

export interface OtlpMetricsRequest {
  signal: 'metrics';
  resourceMetrics: {
    resource: OtlpResource;
    schemaUrl?: string;
    scopeMetrics: { scope: OtlpScope; schemaUrl?: string; metrics: OtlpMetric[] }[];
  }[];
}

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

export type OtlpRequest = OtlpTracesRequest | OtlpLogsRequest | OtlpMetricsRequest;

/** A body that cannot be decoded: answered 400, which OTLP clients do not retry. */
export interface OtlpDecodeFailure {
  ok: false;
  /** What is wrong and where, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId: length 12, not 16`. */
  message: string;
}

export type OtlpDecodeResult<T extends OtlpRequest = OtlpRequest> = { ok: true; request: T } | OtlpDecodeFailure;

/** Bounds every decoder enforces before allocating (a hostile body gets a 400, never a crash). */
export interface OtlpDecodeLimits {
  /** Deepest nesting of AnyValue arrays / key-value lists. */
  maxValueDepth: number;
  /** Most items (spans, log records, data points) in one request. */
  maxItems: number;
  /**
   * Most embedded messages in one request, of every kind: resources, scopes, spans, events,
   * links, statuses, log records, metrics, points, exemplars, buckets, and each `KeyValue` and
   * `AnyValue` (and array / key-value list) of attributes and bodies. In protobuf each message on
   * the wire counts, in JSON each object standing for one, so equal data counts alike.
   * `maxItems` alone does not bound memory: an empty message is 2 bytes on the wire and a
   * hundred or more decoded, so 5 MiB of empty `scopeSpans` would decode to ~380 MB.
   */
  maxMessages: number;
}

/**
 * `maxMessages`: 500,000. A 5 MiB request of 10,000 spans with 10 attributes each holds 220,000
 * messages (span, status, and a KeyValue and its AnyValue per attribute): 2.3 times below the cap,
 * room for events, links and nested values. At the cap, a body of the costliest messages (empty
 * `ScopeSpans`, about 150 bytes of heap each) decodes to ~80 MB, well inside the ingest function's
 * 1,024 MB; unbounded it is ~380 MB for the same 5 MiB.
 */
export const DEFAULT_DECODE_LIMITS: OtlpDecodeLimits = { maxValueDepth: 32, maxItems: 10_000, maxMessages: 500_000 };
