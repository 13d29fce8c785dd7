/**
 * Realistic telemetry as a Lambda-heavy fleet would send it (one item per invocation: which function,
 * when, how long, cold or warm, memory, region), the kinds of malformed item real producers get wrong,
 * and "poison" events that pass every check ingest makes yet cannot be stored.
 */
import { EVENT_VERSION, type TelemetryEvent } from '../../../lib/telemetry/event';
import { pick, uuidFrom, type Random } from './random';

const SERVICES = [
  'checkout',
  'payments',
  'search',
  'auth',
  'inventory',
  'email',
  'thumbnail',
  'orders',
  'reports',
  'webhook',
  'profile',
  'billing',
];
const ROLES = ['api', 'worker', 'cron', 'stream'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const MEMORY_MB = [128, 256, 512, 1024, 2048];
const RUNTIMES = ['nodejs24.x', 'nodejs22.x', 'python3.13', 'java21'];
const ERRORS = [
  { errorType: 'TimeoutError', errorMessage: 'Task timed out after 10.00 seconds' },
  { errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'id')" },
  { errorType: 'ConditionalCheckFailedException', errorMessage: 'The conditional request failed' },
  { errorType: 'ThrottlingException', errorMessage: 'Rate exceeded' },
];

/** A client-side telemetry item: what a producer POSTs (ingest adds eventId and receivedAt). */
export type TelemetryItem = Record<string, unknown>;

/**
 * `count` distinct function names, e.g. `checkout-api-fn`, `payments-worker-fn`; the same list for
 * the same count, so runs and tests line up.
 *
 * @example
 * functionNames(3); // ['checkout-api-fn', 'payments-api-fn', 'search-api-fn']
 */
export function functionNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const service = SERVICES[i % SERVICES.length] as string;
    const role = ROLES[Math.floor(i / SERVICES.length) % ROLES.length] as string;
    const round = Math.floor(i / (SERVICES.length * ROLES.length));
    return `${service}-${role}-fn${round > 0 ? `-${round + 1}` : ''}`;
  });
}

/** Durations are long-tailed: most invocations are quick, a few take seconds. */
function durationMs(random: Random): number {
  const ms = Math.exp(2 + random() * 4 + (random() < 0.05 ? 2 : 0));
  return Math.round(ms * 100) / 100;
}

/**
 * One valid invocation or error event (about 1 in 20 is an error), timestamped now.
 *
 * @example
 * const item = telemetryItem(seededRandom(1), functionNames(12));
 * // { source: 'orders-api-fn', timestamp: '2025-...Z', type: 'invocation', durationMs: 84.13, requestId: '...', ... }
 */
export function telemetryItem(random: Random, sources: readonly string[], now: number = Date.now()): TelemetryItem {
  const isError = random() < 0.05;
  const duration = durationMs(random);
  const memoryMb = pick(random, MEMORY_MB);
  const item: TelemetryItem = {
    source: pick(random, sources),
    // Producers send either form; ingest takes both.
    timestamp: random() < 0.8 ? new Date(now).toISOString() : now,
    type: isError ? 'error' : 'invocation',
    durationMs: duration,
    requestId: uuidFrom(random),
    billedDurationMs: Math.ceil(duration),
    memoryMb,
    maxMemoryUsedMb: Math.max(40, Math.round(memoryMb * (0.2 + random() * 0.7))),
    coldStart: random() < 0.04,
    region: pick(random, REGIONS),
    runtime: pick(random, RUNTIMES),
    version: `${1 + Math.floor(random() * 40)}`,
  };
  if (isError) Object.assign(item, pick(random, ERRORS));
  return item;
}

/** Ways producers get an item wrong; every one is refused by ingest, item by item. */
const MALFORMATIONS: readonly ((item: TelemetryItem) => unknown)[] = [
  // An empty source (a missing one gets the default, unknown_service).
  (item) => ({ ...item, source: '' }),
  (item) => ({ ...item, timestamp: 'yesterday' }),
  // A date-time without a zone would mean a different instant on every server.
  (item) => ({ ...item, timestamp: '2024-05-01T12:00:00' }),
  (item) => ({ ...item, durationMs: 'fast' }),
  (item) => ({ ...item, durationMs: -12 }),
  (item) => ({ ...item, source: 42 }),
  (item) => ({ ...item, eventId: 'not-a-uuid' }),
  (item) => ({ ...item, type: '' }),
  ({ timestamp: _timestamp, ...rest }) => rest,
  () => 'not an object',
];

/**
 * An item ingest refuses (empty source, bad timestamp, wrong types, not an object), based on a
 * valid one so that everything else about it looks real.
 *
 * @example
 * const bad = malformedItem(random, sources); // e.g. { timestamp: 'yesterday', source: 'auth-api-fn', ... }
 */
export function malformedItem(random: Random, sources: readonly string[], now: number = Date.now()): unknown {
  return pick(random, MALFORMATIONS)(telemetryItem(random, sources, now));
}

/**
 * A complete on-stream event (what ingest would have produced) carrying U+0000 in its payload: it
 * decodes and validates, and Postgres refuses it (jsonb has no U+0000). Ingest refuses such input
 * itself, so these only reach the stream from a producer that bypasses ingest and puts records
 * directly; the consumer must then dead-letter them (`db-rejected`) rather than fail the batch.
 *
 * @example
 * const event = poisonEvent(random, sources);
 * await putRecords(kinesis, [{ data: encodeEvent(event), partitionKey: event.source }], { stream, deadline });
 */
export function poisonEvent(
  random: Random,
  sources: readonly string[],
  now: number = Date.now(),
  tenant = 'local',
): TelemetryEvent {
  const { source, type, durationMs: duration, timestamp: _timestamp, ...payload } = telemetryItem(random, sources, now);
  return {
    v: EVENT_VERSION,
    tenant,
    eventId: uuidFrom(random),
    source: source as string,
    type: type as string,
    timestamp: new Date(now).toISOString(),
    durationMs: duration as number,
    payload: { ...payload, note: `written by a producer that bypassed ingest \u0000 (${Math.floor(random() * 1e6)})` },
    receivedAt: new Date(now).toISOString(),
  };
}
