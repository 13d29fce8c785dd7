/**
 * One page of a tenant's events of one source, in keyset order (event_time, event_id), read off the
 * (tenant, source, event_time, event_id) index (migrations/003) from a position either way. Keyset,
 * not OFFSET: a page costs the same at the millionth event as at the first, and events that arrive
 * while a client pages neither shift nor repeat what it has seen.
 */
import type { Queryable } from '../db/queryable';
import type { CursorPosition, EventQuery } from './cursor';
import { isoFromMicroseconds } from './microseconds';
import type { StoredEventRow } from './storedEvent';

// Fixed texts, one per direction, written out whole (no SQL is ever assembled here). The type
// filter is a parameter (null: any type), checked on the rows the index gives; the window's bounds
// prune partitions; the row comparison is the index condition that starts the scan at the position.
// Times come as ISO 8601 text with microseconds (lib/status/microseconds.ts): constants the planner
// prunes partitions by.
const AFTER = `SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
    floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us
  FROM telemetry_events
  WHERE tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
    AND event_time >= $4::timestamptz AND event_time < $5::timestamptz
    AND (event_time, event_id) > ($6::timestamptz, $7::uuid)
  ORDER BY event_time, event_id
  LIMIT $8`;
const BEFORE = `SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
    floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us
  FROM telemetry_events
  WHERE tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
    AND event_time >= $4::timestamptz AND event_time < $5::timestamptz
    AND (event_time, event_id) < ($6::timestamptz, $7::uuid)
  ORDER BY event_time DESC, event_id DESC
  LIMIT $8`;

/** The position before every event of a window: just before its start, below every id. */
export function windowStart(query: EventQuery): CursorPosition {
  return {
    direction: 'after',
    timeUs: (BigInt(query.fromUs) - 1n).toString(),
    eventId: '00000000-0000-0000-0000-000000000000',
  };
}

/**
 * Up to `limit + 1` rows from `position` in its direction, returned in ascending order either way
 * (the extra row says whether there is more that way; the caller drops it).
 *
 * @example
 * const rows = await queryEvents(db, 'acme', query, windowStart(query), 100);
 */
export async function queryEvents(
  db: Queryable,
  tenant: string,
  query: EventQuery,
  position: CursorPosition,
  limit: number,
): Promise<StoredEventRow[]> {
  const { rows } = await db.query<StoredEventRow>(
    position.direction === 'after' ? AFTER : BEFORE,
    [
      tenant,
      query.source,
      query.type,
      isoFromMicroseconds(query.fromUs),
      isoFromMicroseconds(query.toUs),
      isoFromMicroseconds(position.timeUs),
      position.eventId,
      limit + 1,
    ],
    { idempotent: true },
  );
  return position.direction === 'after' ? rows : rows.reverse();
}
