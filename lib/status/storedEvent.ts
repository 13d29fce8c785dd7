/**
 * Looks one of a tenant's events up in `telemetry_events` (migrations/003), the table the consumer
 * writes, and gives it back in the shape clients sent and the stream carries (camelCase, ISO 8601
 * UTC times), with the previous and next event of its source.
 */
import type { Queryable } from '../db/queryable';
import type { TelemetryEvent } from '../telemetry/event';
import { isoFromMicroseconds } from './microseconds';

/** The event as the stream carried it (without the format version and tenant), and when the consumer wrote it. */
export type StoredEvent = Omit<TelemetryEvent, 'v' | 'tenant'> & { ingestedAt: string };

/** A row as every read selects it, `time_us` being event_time in exact epoch microseconds (for cursors). */
export interface StoredEventRow {
  event_id: string;
  source: string;
  type: string;
  event_time: Date;
  duration_ms: number | null;
  payload: Record<string, unknown>;
  received_at: Date;
  ingested_at: Date;
  time_us: string;
}

// Fixed text: the primary key's (tenant, event_id) prefix. Another tenant's event is not found
// exactly as an unknown id is not: same statement, same plan, same answer.
const SELECT_EVENT = `SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
    floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us
  FROM telemetry_events WHERE tenant = $1 AND event_id = $2`;

/**
 * How far from an event its previous and next are looked for: bounded, so the search prunes to a
 * few partitions instead of probing a year of them when a source has gone quiet.
 */
export const NEIGHBOR_WINDOW_MS = 7 * 86_400_000;

// The (tenant, source, event_time, event_id) index, one row each way, in the keyset order the query
// API pages in. The windows' bounds are timestamptz constants ($3-$6), so the planner prunes the
// partitions outside them; the row comparison with the exact time ($7) is the index condition.
const SELECT_NEIGHBORS = `SELECT
  (SELECT p.event_id::text FROM telemetry_events p
    WHERE p.tenant = $1 AND p.source = $2 AND p.event_time >= $3::timestamptz AND p.event_time < $4::timestamptz
      AND (p.event_time, p.event_id) < ($7::timestamptz, $8::uuid)
    ORDER BY p.event_time DESC, p.event_id DESC LIMIT 1) AS previous_id,
  (SELECT n.event_id::text FROM telemetry_events n
    WHERE n.tenant = $1 AND n.source = $2 AND n.event_time >= $5::timestamptz AND n.event_time < $6::timestamptz
      AND (n.event_time, n.event_id) > ($7::timestamptz, $8::uuid)
    ORDER BY n.event_time, n.event_id LIMIT 1) AS next_id`;

export function storedEventFrom(row: StoredEventRow): StoredEvent {
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

export interface FoundEvent {
  event: StoredEvent;
  /** Ids of the same source's events just before and after it (within NEIGHBOR_WINDOW_DAYS), or null. */
  previousId: string | null;
  nextId: string | null;
}

/**
 * @param eventId - a lowercase UUID (check it first: anything else makes Postgres raise an error).
 * @returns the event, or undefined when this tenant has no such event (yet).
 * @example
 * const found = await findStoredEvent(db, 'acme', '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e');
 */
export async function findStoredEvent(db: Queryable, tenant: string, eventId: string): Promise<FoundEvent | undefined> {
  // Reads: safe to run again on a fresh connection when the kept one died while the container was frozen.
  const { rows } = await db.query<StoredEventRow>(SELECT_EVENT, [tenant, eventId], { idempotent: true });
  const row = rows[0];
  if (!row) return undefined;
  // The windows in whole milliseconds around the exact time: 1 ms of slack holds its microseconds.
  const at = row.event_time.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const neighbors = await db.query<{ previous_id: string | null; next_id: string | null }>(
    SELECT_NEIGHBORS,
    [
      tenant,
      row.source,
      iso(at - NEIGHBOR_WINDOW_MS),
      iso(at + 1),
      iso(at - 1),
      iso(at + NEIGHBOR_WINDOW_MS),
      isoFromMicroseconds(row.time_us),
      row.event_id,
    ],
    { idempotent: true },
  );
  return {
    event: storedEventFrom(row),
    previousId: neighbors.rows[0]?.previous_id ?? null,
    nextId: neighbors.rows[0]?.next_id ?? null,
  };
}
