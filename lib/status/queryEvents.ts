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
// are timestamptz constants (ISO text, lib/status/microseconds.ts), which the planner prunes
// partitions by; the row comparison is the index condition that starts the scan at the position.
// Around the page: each row's payload size, and the bytes of the rows before it, so that only the
// rows within $9 bytes leave the database (the first always does); `fetched` says how many the page
// read before that cut. The sizes are computed once per row; the payloads themselves are read for
// the rows sent only.
const AFTER = `SELECT * FROM (
  SELECT *, sum(bytes) OVER (ORDER BY event_time, event_id ROWS UNBOUNDED PRECEDING) - bytes AS bytes_before,
         count(*) OVER () AS fetched
  FROM (
    SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
      floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us, octet_length(payload::text) AS bytes
    FROM telemetry_events
    WHERE tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
      AND event_time >= $4::timestamptz AND event_time < $5::timestamptz
      AND (event_time, event_id) > ($6::timestamptz, $7::uuid)
    ORDER BY event_time, event_id
    LIMIT $8) page) sized
WHERE bytes_before < $9
ORDER BY event_time, event_id`;
const BEFORE = `SELECT * FROM (
  SELECT *, sum(bytes) OVER (ORDER BY event_time DESC, event_id DESC ROWS UNBOUNDED PRECEDING) - bytes AS bytes_before,
         count(*) OVER () AS fetched
  FROM (
    SELECT event_id, source, type, event_time, duration_ms, payload, received_at, ingested_at,
      floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us, octet_length(payload::text) AS bytes
    FROM telemetry_events
    WHERE tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
      AND event_time >= $4::timestamptz AND event_time < $5::timestamptz
      AND (event_time, event_id) < ($6::timestamptz, $7::uuid)
    ORDER BY event_time DESC, event_id DESC
    LIMIT $8) page) sized
WHERE bytes_before < $9
ORDER BY event_time DESC, event_id DESC`;

/** Payload bytes a page carries at most (beyond its first event): Lambda answers at most 6 MB. */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** The position before every event of a window: just before its start, below every id. */
export function windowStart(query: EventQuery): CursorPosition {
  return {
    direction: 'after',
    timeUs: (BigInt(query.fromUs) - 1n).toString(),
    eventId: '00000000-0000-0000-0000-000000000000',
  };
}

export interface EventPage {
  /** At most `limit` rows, in ascending keyset order whichever way they were read. */
  rows: StoredEventRow[];
  /** Whether there are more rows the way the page was read (beyond the limit or the byte budget). */
  more: boolean;
}

/**
 * The page from `position` in its direction: `limit` rows, or fewer when their payloads pass
 * `maxBytes` (a page always has its first row).
 *
 * @example
 * const { rows, more } = await queryEvents(db, 'acme', query, windowStart(query), 100);
 */
export async function queryEvents(
  db: Queryable,
  tenant: string,
  query: EventQuery,
  position: CursorPosition,
  limit: number,
  maxBytes: number = MAX_PAGE_BYTES,
): Promise<EventPage> {
  const { rows } = await db.query<StoredEventRow & { fetched: string }>(
    position.direction === 'after' ? AFTER : BEFORE,
    [
      tenant,
      query.source,
      query.type,
      isoFromMicroseconds(query.fromUs),
      isoFromMicroseconds(query.toUs),
      isoFromMicroseconds(position.timeUs),
      position.eventId,
      // One more than the page: whether it comes back says whether there is more.
      limit + 1,
      maxBytes,
    ],
    { idempotent: true },
  );
  const fetched = Number(rows[0]?.fetched ?? 0);
  const page = rows.slice(0, limit);
  const more = rows.length > limit || fetched > rows.length;
  return { rows: position.direction === 'after' ? page : page.reverse(), more };
}
