/**
 * The OTLP/JSON messages (opentelemetry-proto `{common,resource,trace,logs,metrics}/v1/*.proto`)
 * → the model. Only the lowerCamelCase names are read: OTLP/JSON says "original field names are not
 * valid to use as keys" and that receivers "MUST ignore message fields with unknown names", so a
 * snake_case key is an unknown field, ignored like any other. Fields the type requires get their
 * proto3 default when absent; fields without presence are dropped when absent or default
 * (`nonDefault`), fields with presence only when absent (`present`): lib/otlp/model.ts's normal
 * form. Every object that stands for an embedded message counts against `maxMessages` (`message`,
 * `messages`), as the protobuf decoder counts the messages on the wire.
 */
import type {
  OtlpAttributes,
  OtlpDataPoint,
  OtlpExemplar,
  OtlpLogRecord,
  OtlpMetric,
  OtlpMetricKind,
  OtlpResource,
  OtlpScope,
  OtlpSpan,
} from '../model';
import { anyValue, keyValues } from './anyValue';
import {
  array,
  bool,
  double,
  enumValue,
  fail,
  hexId,
  int32,
  int64,
  type JsonObject,
  type Key,
  message,
  messages,
  nonDefault,
  present,
  string,
  uint64OrAbsent,
  type Walk,
  where,
} from './read';

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'].map((n) => `SPAN_KIND_${n}`);
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'].map((name) => `STATUS_CODE_${name}`);
const SEVERITIES = [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((n) => [n, `${n}2`, `${n}3`, `${n}4`]),
].map((name) => `SEVERITY_NUMBER_${name}`);
const TEMPORALITIES = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'].map((name) => `AGGREGATION_TEMPORALITY_${name}`);
const METRIC_KINDS: readonly OtlpMetricKind[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function attributes(value: unknown, path: string, key: Key, walk: Walk): OtlpAttributes {
  return keyValues(value, path, key, 0, walk);
}

/**
 * A repeated item field (spans, log records, data points), counted against `maxItems` before any
 * of it is read.
 */
function counted<T>(
  value: unknown,
  path: string,
  key: Key,
  walk: Walk,
  read: (item: JsonObject, at: string) => T,
): T[] {
  const list = array(value, path, key);
  walk.items += list.length;
  if (walk.items > walk.maxItems)
    fail(path, key, `the request holds more than ${walk.maxItems} items (spans, log records, data points)`);
  return messages(list, path, key, walk, read);
}

function listOf<T>(
  value: unknown,
  path: string,
  key: Key,
  read: (v: unknown, at: string, i: number) => T | undefined,
): T[] {
  const at = where(path, key);
  return array(value, path, key).map(
    (element, index) => read(element, at, index) ?? fail(at, index, 'must not be null'),
  );
}

/**
 * @example
 * resource({ attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, 'resourceSpans[0]', walk);
 * // { attributes: { 'service.name': 'api' } }
 */
export function resource(value: unknown, at: string, walk: Walk): OtlpResource {
  const o = message(value, at, 'resource', walk) ?? {};
  const path = where(at, 'resource');
  return {
    attributes: attributes(o.attributes, path, 'attributes', walk),
    ...nonDefault({ droppedAttributesCount: int32(o.droppedAttributesCount, path, 'droppedAttributesCount') }),
  };
}

/**
 * @example
 * scope({ name: 'http', version: '' }, 'resourceSpans[0].scopeSpans[0]', walk); // { name: 'http' }
 */
export function scope(value: unknown, at: string, walk: Walk): OtlpScope {
  const o = message(value, at, 'scope', walk) ?? {};
  const path = where(at, 'scope');
  return nonDefault({
    name: string(o.name, path, 'name'),
    version: string(o.version, path, 'version'),
    attributes: attributes(o.attributes, path, 'attributes', walk),
    droppedAttributesCount: int32(o.droppedAttributesCount, path, 'droppedAttributesCount'),
  });
}

/**
 * @example
 * spans(scopeSpans.spans, 'resourceSpans[0].scopeSpans[0]', walk); // OtlpSpan[]
 */
export function spans(value: unknown, at: string, walk: Walk): OtlpSpan[] {
  return counted(value, at, 'spans', walk, (o, path) => {
    const status = message(o.status, path, 'status', walk);
    const statusAt = where(path, 'status');
    return {
      traceId: hexId(o.traceId, path, 'traceId', 16),
      spanId: hexId(o.spanId, path, 'spanId', 8),
      name: string(o.name, path, 'name') ?? '',
      startTimeUnixNano: int64(o.startTimeUnixNano, path, 'startTimeUnixNano') ?? '0',
      endTimeUnixNano: int64(o.endTimeUnixNano, path, 'endTimeUnixNano') ?? '0',
      ...nonDefault({
        traceState: string(o.traceState, path, 'traceState'),
        parentSpanId: hexId(o.parentSpanId, path, 'parentSpanId', 8),
        flags: int32(o.flags, path, 'flags'),
        kind: enumValue(o.kind, path, 'kind', SPAN_KINDS),
        attributes: attributes(o.attributes, path, 'attributes', walk),
        droppedAttributesCount: int32(o.droppedAttributesCount, path, 'droppedAttributesCount'),
        events: messages(o.events, path, 'events', walk, (event, eventAt) => ({
          timeUnixNano: int64(event.timeUnixNano, eventAt, 'timeUnixNano') ?? '0',
          name: string(event.name, eventAt, 'name') ?? '',
          ...nonDefault({
            attributes: attributes(event.attributes, eventAt, 'attributes', walk),
            droppedAttributesCount: int32(event.droppedAttributesCount, eventAt, 'droppedAttributesCount'),
          }),
        })),
        droppedEventsCount: int32(o.droppedEventsCount, path, 'droppedEventsCount'),
        links: messages(o.links, path, 'links', walk, (link, linkAt) => ({
          traceId: hexId(link.traceId, linkAt, 'traceId', 16),
          spanId: hexId(link.spanId, linkAt, 'spanId', 8),
          ...nonDefault({
            traceState: string(link.traceState, linkAt, 'traceState'),
            attributes: attributes(link.attributes, linkAt, 'attributes', walk),
            droppedAttributesCount: int32(link.droppedAttributesCount, linkAt, 'droppedAttributesCount'),
            flags: int32(link.flags, linkAt, 'flags'),
          }),
        })),
        droppedLinksCount: int32(o.droppedLinksCount, path, 'droppedLinksCount'),
      }),
      // a message has presence: an unset status ({} or {code: 0}) is still a status, `{}`
      ...present({
        status:
          status &&
          nonDefault({
            code: enumValue(status.code, statusAt, 'code', STATUS_CODES),
            message: string(status.message, statusAt, 'message'),
          }),
      }),
    };
  });
}

/**
 * @example
 * logRecords(scopeLogs.logRecords, 'resourceLogs[0].scopeLogs[0]', walk); // OtlpLogRecord[]
 */
export function logRecords(value: unknown, at: string, walk: Walk): OtlpLogRecord[] {
  return counted(value, at, 'logRecords', walk, (o, path) => ({
    ...nonDefault({
      timeUnixNano: uint64OrAbsent(o.timeUnixNano, path, 'timeUnixNano'),
      observedTimeUnixNano: uint64OrAbsent(o.observedTimeUnixNano, path, 'observedTimeUnixNano'),
      severityNumber: enumValue(o.severityNumber, path, 'severityNumber', SEVERITIES),
      severityText: string(o.severityText, path, 'severityText'),
      attributes: attributes(o.attributes, path, 'attributes', walk),
      droppedAttributesCount: int32(o.droppedAttributesCount, path, 'droppedAttributesCount'),
      flags: int32(o.flags, path, 'flags'),
      traceId: hexId(o.traceId, path, 'traceId', 16),
      spanId: hexId(o.spanId, path, 'spanId', 8),
      eventName: string(o.eventName, path, 'eventName'),
    }),
    // an empty AnyValue body ({}, null) is no body: the model's one exception, said in model.ts
    ...present({ body: anyValue(o.body, path, 'body', 0, walk) ?? undefined }),
  }));
}

/** NumberDataPoint's and Exemplar's `value` oneof. */
function numberValue(o: JsonObject, path: string): Pick<OtlpDataPoint, 'asDouble' | 'asInt'> {
  const asDouble = double(o.asDouble, path, 'asDouble');
  const asInt = int64(o.asInt, path, 'asInt', true);
  if (asDouble !== undefined && asInt !== undefined) fail(path, 'asInt', 'a value is asDouble or asInt, not both');
  return present({ asDouble, asInt });
}

function exemplars(value: unknown, path: string, walk: Walk): OtlpExemplar[] {
  return messages(value, path, 'exemplars', walk, (o, at) => ({
    ...nonDefault({
      filteredAttributes: attributes(o.filteredAttributes, at, 'filteredAttributes', walk),
      timeUnixNano: uint64OrAbsent(o.timeUnixNano, at, 'timeUnixNano'),
      spanId: hexId(o.spanId, at, 'spanId', 8),
      traceId: hexId(o.traceId, at, 'traceId', 16),
    }),
    ...numberValue(o, at),
  }));
}

function buckets(value: unknown, path: string, key: string, walk: Walk): OtlpDataPoint['positive'] {
  const o = message(value, path, key, walk);
  const at = where(path, key);
  return (
    o &&
    nonDefault({
      offset: int32(o.offset, at, 'offset', true),
      bucketCounts: listOf(o.bucketCounts, at, 'bucketCounts', (v, p, i) => int64(v, p, i)),
    })
  );
}

/** A data point of a metric of `kind`: only the fields that kind's point message has are read. */
function point(o: JsonObject, path: string, kind: OtlpMetricKind, walk: Walk): OtlpDataPoint {
  const common = nonDefault({
    attributes: attributes(o.attributes, path, 'attributes', walk),
    startTimeUnixNano: uint64OrAbsent(o.startTimeUnixNano, path, 'startTimeUnixNano'),
    timeUnixNano: uint64OrAbsent(o.timeUnixNano, path, 'timeUnixNano'),
    count: kind === 'gauge' || kind === 'sum' ? undefined : uint64OrAbsent(o.count, path, 'count'),
    exemplars: kind === 'summary' ? undefined : exemplars(o.exemplars, path, walk),
    flags: int32(o.flags, path, 'flags'),
  });
  // histogram and exponential histogram: `optional double sum, min, max` have presence (0 is a value)
  const range = () =>
    present({ sum: double(o.sum, path, 'sum'), min: double(o.min, path, 'min'), max: double(o.max, path, 'max') });
  switch (kind) {
    case 'gauge':
    case 'sum':
      return { ...common, ...numberValue(o, path) };
    case 'histogram':
      return {
        ...common,
        ...range(),
        ...nonDefault({
          bucketCounts: listOf(o.bucketCounts, path, 'bucketCounts', (v, p, i) => int64(v, p, i)),
          explicitBounds: listOf(o.explicitBounds, path, 'explicitBounds', (v, p, i) => double(v, p, i)),
        }),
      };
    case 'exponentialHistogram':
      return {
        ...common,
        ...range(),
        ...nonDefault({
          scale: int32(o.scale, path, 'scale', true),
          zeroCount: uint64OrAbsent(o.zeroCount, path, 'zeroCount'),
          zeroThreshold: double(o.zeroThreshold, path, 'zeroThreshold'),
        }),
        ...present({
          positive: buckets(o.positive, path, 'positive', walk),
          negative: buckets(o.negative, path, 'negative', walk),
        }),
      };
    case 'summary':
      return {
        ...common,
        ...nonDefault({
          sum: double(o.sum, path, 'sum'),
          quantileValues: messages(o.quantileValues, path, 'quantileValues', walk, (q, at) =>
            nonDefault({ quantile: double(q.quantile, at, 'quantile'), value: double(q.value, at, 'value') }),
          ),
        }),
      };
  }
}

/**
 * @example
 * metrics(scopeMetrics.metrics, 'resourceMetrics[0].scopeMetrics[0]', walk); // OtlpMetric[]
 */
export function metrics(value: unknown, at: string, walk: Walk): OtlpMetric[] {
  return messages(value, at, 'metrics', walk, (o, path) => {
    const kinds = METRIC_KINDS.filter((name) => o[name] !== undefined && o[name] !== null);
    if (kinds.length > 1)
      fail(path, kinds[1] as string, `a metric is one of ${METRIC_KINDS.join(', ')}, not ${kinds.join(' and ')}`);
    const kind = kinds[0];
    const data = kind && message(o[kind], path, kind, walk);
    const dataAt = kind ? where(path, kind) : path;
    const aggregated = kind === 'sum' || kind === 'histogram' || kind === 'exponentialHistogram';
    return {
      name: string(o.name, path, 'name') ?? '',
      ...nonDefault({
        description: string(o.description, path, 'description'),
        unit: string(o.unit, path, 'unit'),
        metadata: attributes(o.metadata, path, 'metadata', walk),
      }),
      ...present({ kind }),
      dataPoints:
        kind && data
          ? counted(data.dataPoints, dataAt, 'dataPoints', walk, (p, pointAt) => point(p, pointAt, kind, walk))
          : [],
      ...nonDefault({
        aggregationTemporality: aggregated
          ? enumValue(data?.aggregationTemporality, dataAt, 'aggregationTemporality', TEMPORALITIES)
          : undefined,
        isMonotonic: kind === 'sum' ? bool(data?.isMonotonic, dataAt, 'isMonotonic') : undefined,
      }),
    };
  });
}
