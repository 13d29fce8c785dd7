/**
 * A decoded OTLP request → the items `normalizeEvent` takes (the shape a client sends to
 * `POST /telemetry`): one per span, log record and metric data point, in request order (resource →
 * scope → item). The named fields are set as below; every other field is payload, and every field
 * of the OTLP item is kept there under its OTLP name: nothing is dropped.
 *
 * | field               | span                                   | log record                                | metric data point       |
 * | ------------------- | -------------------------------------- | ----------------------------------------- | ----------------------- |
 * | `source`            | resource `service.name` if a non-empty string, else `unknown_service` | same       | same                    |
 * | `type`              | `span`                                 | `log`                                     | `metric`                |
 * | `timestamp`         | `startTimeUnixNano` (ISO 8601, ms)     | `timeUnixNano`, else `observedTimeUnixNano` | `timeUnixNano`        |
 * | `durationMs`        | end − start, fraction kept; null if < 0 | null                                     | null                    |
 * | `eventId` (UUIDv5 of) | `otlp:<idScope>:span:<traceId>:<spanId>` | `otlp:<idScope>:log:<content sha256>` | `otlp:<idScope>:metric:<content sha256>` |
 * | payload `resource`  | the resource's attributes              | same                                      | same                    |
 * | payload `resourceSchemaUrl`, `resourceDroppedAttributesCount` | when set | same                     | same                    |
 * | payload `scope`     | `{name, version, attributes, droppedAttributesCount, schemaUrl}`: those set; absent if none | same | same |
 * | payload `metric`    |                                        |                                           | `{name, description, unit, metadata, kind, aggregationTemporality, isMonotonic}`: those set |
 * | payload, the rest   | every span field (1)                   | every log record field (2)                | every point field (3)   |
 * | refused (`INVALID_EVENT`) | traceId or spanId empty or all zero, or no `startTimeUnixNano` | neither time | no `timeUnixNano` |
 *
 * (1) `name`, `kind`, `traceId`, `spanId`, `parentSpanId`, `traceState`, `flags`, `status`, `attributes`,
 * `events`, `links`, the dropped counts, `startTimeUnixNano`, `endTimeUnixNano`. (2) `severityNumber`,
 * `severityText`, `body`, `attributes`, `droppedAttributesCount`, `traceId`, `spanId`, `flags`,
 * `eventName`, `timeUnixNano`, `observedTimeUnixNano`. (3) `attributes`, `asDouble` / `asInt`, `count`,
 * `sum`, `min`, `max`, `bucketCounts`, `explicitBounds`, `scale`, `zeroCount`, `zeroThreshold`,
 * `positive`, `negative`, `quantileValues`, `exemplars`, `flags`, `startTimeUnixNano`, `timeUnixNano`.
 *
 * `unknown_service` (normalize.ts's DEFAULT_SOURCE) is what OpenTelemetry SDKs themselves report
 * without a `service.name` (resource semantic conventions). Payload values are the model's (lib/otlp/model.ts): 64-bit integers and
 * times as decimal strings, attributes as objects; NaN and ±Infinity as the strings "NaN",
 * "Infinity", "-Infinity" (JSON has no such numbers; JSON.stringify would write null). The content
 * hash is of the canonical JSON (lib/otlp/stableJson.ts) of the whole event but its id: the record or
 * point with its resource, scope and, for points, metric. So a resent request, however an exporter
 * or collector regroups it, gives the same ids (also with the key that replaced a rotated one:
 * `idScope` is the caller's tenant), and ids are unique per tenant, so two tenants never collide.
 */
import { createHash } from 'node:crypto';
import type { ParsedItem } from '../ingest/parseItems';
import { contentEventId } from '../telemetry/ids';
import { DEFAULT_SOURCE, MAX_TIMESTAMP_MS } from '../telemetry/normalize';
import type { OtlpLogRecord, OtlpMetric, OtlpRequest, OtlpResource, OtlpScope, OtlpSpan } from './model';
import { stableJson } from './stableJson';

type Fields = Record<string, unknown>;

const NANOS_PER_MS = 1_000_000n;
const NO_ID = /^0*$/;

/** The event fields every item of one scope shares. */
interface Origin {
  source: string;
  shared: Fields;
}

function origin(
  resource: { resource: OtlpResource; schemaUrl?: string },
  scope: { scope: OtlpScope; schemaUrl?: string },
): Origin {
  const { attributes, droppedAttributesCount } = resource.resource;
  const service = attributes['service.name'];
  const scopeFields = { ...scope.scope, schemaUrl: scope.schemaUrl };
  return {
    source: typeof service === 'string' && service !== '' ? service : DEFAULT_SOURCE,
    shared: {
      resource: attributes,
      resourceSchemaUrl: resource.schemaUrl,
      resourceDroppedAttributesCount: droppedAttributesCount,
      scope: Object.values(scopeFields).some((value) => value !== undefined) ? scopeFields : undefined,
    },
  };
}

/** A copy that JSON can hold: undefined fields left out, NaN and ±Infinity as their names. */
function storable(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Fields = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    // assigning "__proto__" would set the prototype: define it, so that it stays a key
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: storable(field), enumerable: true, writable: true });
    else copy[key] = storable(field);
  }
  return copy;
}

function nanos(value: string | undefined): bigint | undefined {
  return value !== undefined && /^\d{1,20}$/.test(value) ? BigInt(value) : undefined;
}

/** ISO 8601 (ms) for a Unix-nanos time; undefined when 0 (OTLP's "unset"), absent or past normalize's range. */
function isoTime(value: string | undefined): string | undefined {
  const time = nanos(value);
  if (time === undefined || time === 0n || time / NANOS_PER_MS > BigInt(MAX_TIMESTAMP_MS)) return undefined;
  return new Date(Number(time / NANOS_PER_MS)).toISOString();
}

function refused(error: string): ParsedItem {
  return { ok: false, code: 'INVALID_EVENT', error };
}

/** Per request: how often each content digest has been seen, so that identical items stay apart. */
interface Ids {
  idScope: string;
  seen: Map<string, number>;
}

/**
 * The item, with its id: `key` when the item has an identity of its own (a span), else a hash of its
 * content. Two log records (or points) with the same content in one request are two events (an SDK
 * stamps times to the millisecond: two identical emits in one millisecond look the same): the nth
 * repeat's id takes its occurrence number, so a resend of the request still gives the same ids.
 */
function event(ids: Ids, type: 'span' | 'log' | 'metric', fields: Fields, key?: string): ParsedItem {
  const value = storable(fields) as Fields;
  let name = key;
  if (name === undefined) {
    const digest = createHash('sha256').update(stableJson(value)).digest('hex');
    const repeat = ids.seen.get(digest) ?? 0;
    ids.seen.set(digest, repeat + 1);
    name = repeat === 0 ? digest : `${digest}#${repeat}`;
  }
  return { ok: true, value: { eventId: contentEventId(`otlp:${ids.idScope}:${type}:${name}`), ...value } };
}

function spanItem(span: OtlpSpan, from: Origin, ids: Ids): ParsedItem {
  if (NO_ID.test(span.traceId)) return refused('span has no traceId (OTLP requires 16 bytes, not all zero)');
  if (NO_ID.test(span.spanId)) return refused('span has no spanId (OTLP requires 8 bytes, not all zero)');
  const timestamp = isoTime(span.startTimeUnixNano);
  if (timestamp === undefined) return refused('span has no startTimeUnixNano');
  const elapsed = (nanos(span.endTimeUnixNano) ?? 0n) - (nanos(span.startTimeUnixNano) ?? 0n);
  // a span that ends before it starts (or never ended: end 0) has no duration; both times stay in the payload
  const durationMs = elapsed < 0n ? null : Number(elapsed / NANOS_PER_MS) + Number(elapsed % NANOS_PER_MS) / 1e6;
  const fields = { source: from.source, type: 'span', timestamp, durationMs, ...from.shared, ...span };
  return event(ids, 'span', fields, `${span.traceId}:${span.spanId}`);
}

function logItem(record: OtlpLogRecord, from: Origin, ids: Ids): ParsedItem {
  const timestamp = isoTime(record.timeUnixNano) ?? isoTime(record.observedTimeUnixNano);
  if (timestamp === undefined) return refused('log record has neither timeUnixNano nor observedTimeUnixNano');
  return event(ids, 'log', { source: from.source, type: 'log', timestamp, ...from.shared, ...record });
}

function metricItems(metric: OtlpMetric, from: Origin, ids: Ids): ParsedItem[] {
  const { dataPoints, ...described } = metric;
  return dataPoints.map((point) => {
    const timestamp = isoTime(point.timeUnixNano);
    if (timestamp === undefined)
      return refused(`data point of metric ${JSON.stringify(metric.name.slice(0, 100))} has no timeUnixNano`);
    return event(ids, 'metric', {
      source: from.source,
      type: 'metric',
      timestamp,
      ...from.shared,
      metric: described,
      ...point,
    });
  });
}

/** One scope of a request, with how many items it holds and how to map them. */
interface ScopeGroup {
  resource: { resource: OtlpResource; schemaUrl?: string };
  scope: { scope: OtlpScope; schemaUrl?: string };
  count: number;
  map(from: Origin, ids: Ids): ParsedItem[];
}

/** The request's scopes in order (resource → scope), whichever signal it carries: the one walk of a request. */
function scopeGroups(request: OtlpRequest): ScopeGroup[] {
  switch (request.signal) {
    case 'traces':
      return request.resourceSpans.flatMap((resource) =>
        resource.scopeSpans.map((scope) => ({
          resource,
          scope,
          count: scope.spans.length,
          map: (from: Origin, ids: Ids) => scope.spans.map((span) => spanItem(span, from, ids)),
        })),
      );
    case 'logs':
      return request.resourceLogs.flatMap((resource) =>
        resource.scopeLogs.map((scope) => ({
          resource,
          scope,
          count: scope.logRecords.length,
          map: (from: Origin, ids: Ids) => scope.logRecords.map((record) => logItem(record, from, ids)),
        })),
      );
    case 'metrics':
      return request.resourceMetrics.flatMap((resource) =>
        resource.scopeMetrics.map((scope) => ({
          resource,
          scope,
          count: scope.metrics.reduce((n, metric) => n + metric.dataPoints.length, 0),
          map: (from: Origin, ids: Ids) => scope.metrics.flatMap((metric) => metricItems(metric, from, ids)),
        })),
      );
  }
}

/**
 * Maps a decoded OTLP request to one parsed item per span, log record or data point, for
 * prepareEvents (which normalizes, checks sizes and refuses duplicate ids).
 *
 * @example
 * const items = otlpItems(decoded.request, { idScope: `tenant:${tenant}` });
 * // [{ ok: true, value: { eventId, source: 'checkout', type: 'span', timestamp, durationMs: 12.5, name: 'GET /', ... } }]
 */
export function otlpItems(request: OtlpRequest, context: { idScope: string }): ParsedItem[] {
  const ids: Ids = { idScope: context.idScope, seen: new Map() };
  return scopeGroups(request).flatMap((group) => group.map(origin(group.resource, group.scope), ids));
}

/**
 * Bytes of resource and scope that mapping copies into the events: each event carries its
 * resource's attributes and its scope (a query needs no join), so a large resource over many items
 * multiplies. Counted before any event is built, so that a request cannot grow past memory.
 *
 * @example
 * if (sharedBytes(request) > MAX_SHARED_BYTES) return tooLarge();
 */
export function sharedBytes(request: OtlpRequest): number {
  let total = 0;
  for (const { resource, scope, count } of scopeGroups(request))
    if (count > 0) total += count * JSON.stringify(storable(origin(resource, scope).shared)).length;
  return total;
}
