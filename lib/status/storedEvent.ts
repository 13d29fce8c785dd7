/**
 * Looks an event up in `telemetry_events` (migrations/001), the table the consumer writes, and gives
 * it back in the shape clients sent and the stream carries (camelCase, ISO 8601 UTC times).
 */
import type { Queryable } from '../db/queryable';
import type { TelemetryEvent } from '../telemetry/event';

/** The event as the stream carried it (without the format version), and when the consumer wrote it. */
export type StoredEvent = Omit<TelemetryEvent, 'v'> & { ingestedAt: string };

interface StoredEventRow {
  event_id: string;
  source: string;
  type: string;
  event_time: Date;
  duration_ms: number | null;
  payload: Record<string, unknown>;
  received_at: Date;
  ingested_at: Date;
}

// Fixed text with one parameter: a prepared-statement-friendly lookup by primary key.
const SELECT_EVENT = `SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at
  FROM telemetry_events WHERE event_id = $1`;

/**
 * @param eventId - a UUID (check it first: anything else makes Postgres raise an error).
 * @returns the event, or undefined when the consumer has not written it (yet).
 * @example
 * const event = await findStoredEvent(client, '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e');
 */
export async function findStoredEvent(db: Queryable, eventId: string): Promise<StoredEvent | undefined> {
  // A read: safe to run again on a fresh connection when the kept one died while the container was frozen.
  const { rows } = await db.query(SELECT_EVENT, [eventId], { idempotent: true });
  const row = rows[0] as StoredEventRow | undefined;
  if (!row) return undefined;
  return {
    eventId: row.event_id,
    source: row.source,
    type: row.type,
    timestamp: row.event_time.toISOString(),
    durationMs: row.duration_ms,
    payload: row.payload,
    receivedAt: row.received_at.toISOString(),
    ingestedAt: row.ingested_at.toISOString(),
  };
}
