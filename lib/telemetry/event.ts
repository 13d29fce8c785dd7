/**
 * The telemetry event as it travels on the stream: the contract between ingest (which builds it
 * from what a client sent) and the consumer (which stores it). One JSON object per Kinesis record,
 * partition key from tenant and source (lib/telemetry/partitionKey.ts), so one source's events keep
 * their order on one shard.
 *
 * Versions: 2 carries the tenant (from the sender's API key). 1 has none: records written before
 * tenants existed (still on a stream, in the DLQ or a failed-batch object) decode as the default
 * tenant's, which is where the upgrade put the rows stored before it (migrations/003). A consumer
 * that knows only version 1 dead-letters version 2 records (replayable once it is upgraded) rather
 * than storing them under the wrong tenant.
 */

import { DEFAULT_TENANT, TENANT_PATTERN } from '../auth/keyRecord';
import { errorMessage, isPlainObject } from '../errors';

/** Current version of the on-stream shape; a consumer refuses (dead-letters) versions it does not know. */
export const EVENT_VERSION = 2;
/** The version before tenants: still decoded (as the default tenant's). */
export const TENANTLESS_EVENT_VERSION = 1;

export interface TelemetryEvent {
  v: typeof EVENT_VERSION;
  /** Whose event it is: the tenant of the API key it was sent with, never anything in the body. */
  tenant: string;
  /** UUID; the idempotency key all the way to Postgres (re-put records get new sequence numbers). */
  eventId: string;
  /** The emitting function or service; also the partition key. 1-256 characters. */
  source: string;
  /** Default `invocation`. */
  type: string;
  /** When the event happened, ISO 8601 UTC. */
  timestamp: string;
  durationMs: number | null;
  /** Every other field the client sent. */
  payload: Record<string, unknown>;
  /** When ingest accepted it, ISO 8601 UTC. */
  receivedAt: string;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Kinesis partition keys are 1-256 Unicode characters. */
export const MAX_SOURCE_LENGTH = 256;
export const MAX_TYPE_LENGTH = 128;

export function encodeEvent(event: TelemetryEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

export type DecodeResult =
  | { ok: true; event: TelemetryEvent }
  | { ok: false; reason: 'invalid-json' | 'invalid-event'; error: string };

function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && !Number.isNaN(Date.parse(value));
}

/**
 * The rules for the named fields, shared by ingest (which takes them loosely: optional, null) and
 * the consumer (which takes only what ingest writes). Each returns the problem, or undefined.
 */
export const FIELD_RULES = {
  eventId: (value: unknown): string | undefined =>
    typeof value === 'string' && UUID_PATTERN.test(value) ? undefined : 'eventId must be a UUID',
  source: (value: unknown): string | undefined =>
    typeof value === 'string' && value.length > 0 && value.length <= MAX_SOURCE_LENGTH
      ? undefined
      : `source must be a string of 1-${MAX_SOURCE_LENGTH} characters`,
  type: (value: unknown): string | undefined =>
    typeof value === 'string' && value.length > 0 && value.length <= MAX_TYPE_LENGTH
      ? undefined
      : `type must be a string of 1-${MAX_TYPE_LENGTH} characters`,
  durationMs: (value: unknown): string | undefined =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? undefined : 'durationMs must be a number >= 0',
} as const;

/**
 * Validates a decoded stream record against the event shape. Returns the first problem found.
 *
 * @example
 * const problem = eventProblem(JSON.parse(text)); // undefined when valid
 */
export function eventProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'event is not a JSON object';
  if (value.v !== EVENT_VERSION && value.v !== TENANTLESS_EVENT_VERSION)
    return `unknown event version ${JSON.stringify(value.v)}`;
  if (value.v === EVENT_VERSION && (typeof value.tenant !== 'string' || !TENANT_PATTERN.test(value.tenant)))
    return 'tenant must be a tenant id';
  const named = FIELD_RULES.eventId(value.eventId) ?? FIELD_RULES.source(value.source) ?? FIELD_RULES.type(value.type);
  if (named) return named;
  if (!isIsoTimestamp(value.timestamp)) return 'timestamp must be an ISO 8601 string';
  if (value.durationMs !== null && FIELD_RULES.durationMs(value.durationMs))
    return 'durationMs must be a number >= 0 or null';
  if (!isPlainObject(value.payload)) return 'payload must be a JSON object';
  if (!isIsoTimestamp(value.receivedAt)) return 'receivedAt must be an ISO 8601 string';
  return undefined;
}

/**
 * Decodes one Kinesis record's data. Bad JSON and schema failures are poison, never exceptions.
 *
 * @example
 * const result = decodeEvent(Buffer.from(record.kinesis.data, 'base64'));
 * if (!result.ok) deadLetter(record, result.reason, result.error);
 */
export function decodeEvent(data: Buffer | Uint8Array): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'invalid-json', error: errorMessage(error) };
  }
  const problem = eventProblem(value);
  if (problem) return { ok: false, reason: 'invalid-event', error: problem };
  const event = value as Omit<TelemetryEvent, 'v' | 'tenant'> & { v: number; tenant?: string };
  if (event.v === EVENT_VERSION) return { ok: true, event: event as TelemetryEvent };
  return { ok: true, event: { ...event, v: EVENT_VERSION, tenant: DEFAULT_TENANT } };
}
