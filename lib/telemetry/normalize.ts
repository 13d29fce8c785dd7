/**
 * Client input → `TelemetryEvent`. What a client sends is loose (epoch or ISO timestamps, optional
 * fields, any extra fields); what goes on the stream is the strict contract in `event.ts`. Anything
 * this accepts passes the consumer's `eventProblem`, and anything Postgres would refuse later
 * (U+0000, lone surrogates) is refused here, to the client, while it can still fix it.
 */
import { derivedEventId, newEventId } from './ids';
import { isPlainObject } from '../errors';
import { EVENT_VERSION, FIELD_RULES, type TelemetryEvent } from './event';

export const DEFAULT_EVENT_TYPE = 'invocation';
/**
 * The source of an item that names none (stock agents send none): what OpenTelemetry SDKs report for
 * a service without a name, so events from agents and from OTLP without `service.name` sort together.
 */
export const DEFAULT_SOURCE = 'unknown_service';
/** Deeper than any telemetry needs, and well inside what JSON.stringify's recursion and Postgres's jsonb take. */
export const MAX_NESTING_DEPTH = 64;
/** Epoch ms of 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: four-digit years, which Postgres and ISO 8601 both take. */
export const MIN_TIMESTAMP_MS = -62_135_596_800_000;
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * Where the time may be, in order: the first field present is used. The unit of a number is the
 * field's, never guessed from its size: `timestamp` is epoch milliseconds (this API's own field);
 * `@timestamp`, `time` and `date` are epoch seconds, fraction allowed (what Fluent Bit's `date`,
 * and agents' `time`, carry). A string in any of them is an ISO 8601 date-time with a zone.
 */
export const TIMESTAMP_FIELDS: readonly { name: string; unitMs: number; minNumberMs: number }[] = [
  { name: 'timestamp', unitMs: 1, minNumberMs: MIN_TIMESTAMP_MS },
  // Agents' fields: a number before 2000 there is more likely a duration or a date written as digits
  // (`"date": 20240501`) than a time, so it is refused rather than stored as 1970.
  { name: '@timestamp', unitMs: 1_000, minNumberMs: 946_684_800_000 },
  { name: 'time', unitMs: 1_000, minNumberMs: 946_684_800_000 },
  { name: 'date', unitMs: 1_000, minNumberMs: 946_684_800_000 },
];

/** The fields with a meaning of their own; every other field is payload (but the timestamp field used). */
const NAMED_FIELDS = new Set(['eventId', 'source', 'timestamp', 'type', 'durationMs']);
/** A date-time with an explicit zone: without one, the time would depend on the server's time zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** U+0000 (Postgres text and jsonb refuse it) or a lone surrogate (jsonb refuses the escape JSON.stringify writes for it). */
const UNSTORABLE_CHARACTER = /[\u0000\uD800-\uDFFF]/u;

export interface NormalizeContext {
  /** The sender's tenant (its API key's); a `tenant` field in the item is only payload. */
  tenant: string;
  /** Position of the item in the request, for derived ids. */
  index: number;
  /** The request's `Idempotency-Key` header, when it had one. */
  idempotencyKey: string | undefined;
  /** ISO 8601 UTC time the request was received. */
  receivedAt: string;
}

export type NormalizeResult = { ok: true; event: TelemetryEvent } | { ok: false; error: string };

/** ISO 8601 UTC for an ISO 8601 date-time (with zone) or an epoch number in `unitMs`; undefined when neither. */
function normalizeTimestamp(value: unknown, unitMs: number, minNumberMs: number): string | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value * unitMs;
    if (ms < minNumberMs) return undefined;
  } else if (typeof value === 'string' && ISO_DATE_TIME.test(value)) ms = Date.parse(value);
  else return undefined;
  if (!Number.isFinite(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) return undefined;
  return new Date(Math.trunc(ms)).toISOString();
}

interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  key: string | number;
}

/** Where a visited value sits, e.g. `tags[2].name`; built only when there is something to report. */
function pathOf(visit: Visit): string {
  const parts: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) {
    parts.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  }
  const path = parts.reverse().join('').replace(/^\./, '');
  return path || 'the event';
}

/**
 * The first value nested too deeply or string (field name or value) that cannot be stored,
 * walking iteratively so that no input can exhaust the stack.
 */
function storageProblem(root: Record<string, unknown>): string | undefined {
  const stack: Visit[] = [{ value: root, depth: 0, parent: undefined, key: '' }];
  const unstorable = (where: string): string =>
    `${where} contains U+0000 or an unpaired surrogate, which cannot be stored`;
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { value, depth } = visit;
    if (typeof value === 'string') {
      if (UNSTORABLE_CHARACTER.test(value)) return unstorable(pathOf(visit));
      continue;
    }
    if (depth >= MAX_NESTING_DEPTH) return `${pathOf(visit)} is nested more than ${MAX_NESTING_DEPTH} levels deep`;
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((element, position) => [position, element])
      : Object.entries(value as object);
    for (const [key, element] of entries) {
      if (typeof key === 'string' && UNSTORABLE_CHARACTER.test(key))
        return unstorable(`a field name in ${pathOf(visit)}`);
      // numbers, booleans and null can always be stored: only strings and containers are visited
      if (typeof element === 'string' || (typeof element === 'object' && element !== null))
        stack.push({ value: element, depth: depth + 1, parent: visit, key });
    }
  }
  return undefined;
}

function fieldProblem(item: Record<string, unknown>): string | undefined {
  // All may be absent or null (source then takes DEFAULT_SOURCE); present, they must be valid.
  const optional = (name: 'source' | 'eventId' | 'type' | 'durationMs'): string | undefined =>
    item[name] === undefined || item[name] === null ? undefined : FIELD_RULES[name](item[name]);
  return optional('source') ?? optional('eventId') ?? optional('type') ?? optional('durationMs');
}

/** The first timestamp field the item has (not undefined or null), if any. */
function timestampField(item: Record<string, unknown>): (typeof TIMESTAMP_FIELDS)[number] | undefined {
  return TIMESTAMP_FIELDS.find(({ name }) => item[name] !== undefined && item[name] !== null);
}

/**
 * Turns one item a client sent into the on-stream event, or says why it cannot.
 * Optional fields (`eventId`, `type`, `durationMs`) may be absent or null.
 *
 * @example
 * const result = normalizeEvent({ source: 'checkout', timestamp: 1700000000000, region: 'eu' },
 *   { tenant: 'acme', index: 0, idempotencyKey: undefined, receivedAt: new Date().toISOString() });
 * // result.event.payload is { region: 'eu' }, result.event.timestamp '2023-11-14T22:13:20.000Z'
 */
export function normalizeEvent(item: unknown, context: NormalizeContext): NormalizeResult {
  if (!isPlainObject(item)) return { ok: false, error: 'event must be a JSON object' };
  const problem = fieldProblem(item);
  if (problem) return { ok: false, error: problem };
  const field = timestampField(item);
  const timestamp = field && normalizeTimestamp(item[field.name], field.unitMs, field.minNumberMs);
  if (timestamp === undefined)
    return {
      ok: false,
      error: field
        ? `${field.name} must be an ISO 8601 date-time with a zone (e.g. 2024-05-01T12:00:00Z) or epoch ${field.unitMs === 1 ? 'milliseconds, between years 0001 and 9999' : 'seconds, between years 2000 and 9999'}`
        : 'timestamp is required: an ISO 8601 date-time with a zone or epoch milliseconds (or @timestamp, time or date: ISO 8601 or epoch seconds)',
    };
  const unstorable = storageProblem(item);
  if (unstorable) return { ok: false, error: unstorable };

  const clientId = typeof item.eventId === 'string' ? item.eventId.toLowerCase() : undefined;
  return {
    ok: true,
    event: {
      v: EVENT_VERSION,
      tenant: context.tenant,
      eventId:
        clientId ?? (context.idempotencyKey ? derivedEventId(context.idempotencyKey, context.index) : newEventId()),
      source: typeof item.source === 'string' ? item.source : DEFAULT_SOURCE,
      type: typeof item.type === 'string' ? item.type : DEFAULT_EVENT_TYPE,
      timestamp,
      durationMs: typeof item.durationMs === 'number' ? item.durationMs : null,
      // fromEntries defines own properties, so a client field named "__proto__" stays a plain field
      payload: Object.fromEntries(
        Object.entries(item).filter(([key]) => !NAMED_FIELDS.has(key) && key !== (field as { name: string }).name),
      ),
      receivedAt: context.receivedAt,
    },
  };
}
