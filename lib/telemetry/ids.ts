/**
 * Event ids. Every event leaves ingest with one, because the consumer deduplicates on it (a record
 * put twice gets two sequence numbers but keeps its eventId). In order of preference: the client's
 * own id; one derived from the request's `Idempotency-Key` and the item's position, so that a retried
 * request yields the same ids; else a fresh UUIDv7 (time-ordered, which keeps the primary key index
 * append-mostly).
 */
import { v5, v7 } from 'uuid';

/** Fixed namespace for derived ids. Changing it would change every derived id: never do that. */
export const EVENT_ID_NAMESPACE = '3d0b2a52-8a7c-4f61-9b8e-6f1d2c7a5e10';

/**
 * The id for item `index` of a request sent with `idempotencyKey`: the same inputs give the same id.
 *
 * @example
 * derivedEventId('order-42-upload', 0) === derivedEventId('order-42-upload', 0); // true
 */
export function derivedEventId(idempotencyKey: string, index: number): string {
  return v5(`${idempotencyKey}:${index}`, EVENT_ID_NAMESPACE);
}

/**
 * A new, time-ordered id.
 *
 * @example
 * const eventId = newEventId(); // '0190b6c2-...'
 */
export function newEventId(): string {
  return v7();
}

/**
 * The id of an event named by its content (`name` says what it is and whose it is), so that the
 * same content sent again gets the same id: what makes an OTLP exporter's whole-request retry harmless.
 *
 * @example
 * contentEventId(`otlp:${keyHash}:span:${traceId}:${spanId}`); // the same for every resend of that span
 */
export function contentEventId(name: string): string {
  return v5(name, EVENT_ID_NAMESPACE);
}
