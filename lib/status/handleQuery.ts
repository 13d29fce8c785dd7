/**
 * `GET /telemetry?source=&type=&from=&to=&limit=&cursor=`: a tenant's events of one source, oldest
 * first, a page at a time, with cursors to the next and previous pages (lib/status/cursor.ts).
 *
 * Limits: `limit` 1-1000 (default 100); the window `from`-`to` (ISO 8601; default the 24 hours up
 * to now) at most 31 days. With `cursor`, the query is the cursor's: `source`, `type`, `from` and
 * `to` may be repeated but not changed (400 CURSOR_MISMATCH).
 */
import type { HttpAnswer } from '../http/answer';
import { jsonAnswer } from '../http/answer';
import { errorAnswer } from '../http/errorAnswer';
import type { Queryable } from '../db/queryable';
import { type Cursor, type CursorPosition, decodeCursor, encodeCursor, type EventQuery } from './cursor';
import {
  integerParam,
  invalid,
  type Params,
  type Parsed,
  sourceParam,
  timeParam,
  typeParam,
  unknownParameter,
} from './params';
import { microsecondsFromMs } from './microseconds';
import { queryEvents, windowStart } from './queryEvents';
import { storedEventFrom, type StoredEventRow } from './storedEvent';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_QUERY_WINDOW_MS = 24 * 3600 * 1000;
export const MAX_QUERY_WINDOW_MS = 31 * 24 * 3600 * 1000;
const PARAMETERS = ['source', 'type', 'from', 'to', 'limit', 'cursor'] as const;

export interface QueryDeps {
  db: Queryable;
  cursorSecret: Buffer;
  /** Payload bytes per page (default MAX_PAGE_BYTES); tests lower it. */
  maxPageBytes?: number;
  now?: () => number;
}

interface PageRequest {
  query: EventQuery;
  position: CursorPosition;
  /** Whether the page continues from a cursor (the first page has nothing before it). */
  fromCursor: boolean;
  limit: number;
}

function windowQuery(params: Params, now: number): Parsed<EventQuery> {
  const source = sourceParam(params);
  if (!source.ok) return source;
  const type = typeParam(params);
  if (!type.ok) return type;
  const to = timeParam(params, 'to', now);
  if (!to.ok) return to;
  const from = timeParam(params, 'from', to.value - DEFAULT_QUERY_WINDOW_MS);
  if (!from.ok) return from;
  if (from.value >= to.value) return invalid('from', 'from must be before to');
  if (to.value - from.value > MAX_QUERY_WINDOW_MS)
    return invalid(
      'to',
      `the window from-to may span at most ${MAX_QUERY_WINDOW_MS / 86_400_000} days`,
      'WINDOW_TOO_LARGE',
    );
  return {
    ok: true,
    value: {
      source: source.value,
      type: type.value,
      fromUs: microsecondsFromMs(from.value),
      toUs: microsecondsFromMs(to.value),
    },
  };
}

/** With a cursor: every filter given must say what the cursor's query says. */
function cursorMismatch(params: Params, cursor: Cursor): string | undefined {
  const { query } = cursor;
  if (params.source !== undefined && params.source !== query.source) return 'source';
  if (params.type !== undefined && (params.type || null) !== query.type) return 'type';
  for (const [name, us] of [
    ['from', query.fromUs],
    ['to', query.toUs],
  ] as const) {
    const text = params[name];
    if (text === undefined) continue;
    const given = timeParam(params, name, 0);
    if (!given.ok || microsecondsFromMs(given.value) !== us) return name;
  }
  return undefined;
}

function pageRequest(params: Params, tenant: string, deps: QueryDeps): Parsed<PageRequest> {
  const unknown = unknownParameter(params, PARAMETERS);
  if (unknown) return unknown;
  const limit = integerParam(params, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  if (!limit.ok) return limit;
  if (params.cursor !== undefined) {
    const cursor = decodeCursor(deps.cursorSecret, tenant, params.cursor);
    if (!cursor)
      return invalid(
        'cursor',
        'the cursor is not one this API gave this tenant (edited, truncated, or from another key set)',
        'INVALID_CURSOR',
      );
    const mismatch = cursorMismatch(params, cursor);
    if (mismatch)
      return invalid(
        mismatch,
        `${mismatch} differs from the cursor's query: drop it, or start again without the cursor`,
        'CURSOR_MISMATCH',
      );
    return { ok: true, value: { ...cursor, fromCursor: true, limit: limit.value } };
  }
  const query = windowQuery(params, (deps.now ?? Date.now)());
  if (!query.ok) return query;
  return {
    ok: true,
    value: { query: query.value, position: windowStart(query.value), fromCursor: false, limit: limit.value },
  };
}

function link(cursor: string | null, limit: number): string | null {
  return cursor === null ? null : `/telemetry?cursor=${encodeURIComponent(cursor)}&limit=${limit}`;
}

/**
 * @example
 * const answer = await handleQuery(event.queryStringParameters ?? {}, caller.tenant, { db, cursorSecret });
 */
export async function handleQuery(params: Params, tenant: string, deps: QueryDeps): Promise<HttpAnswer> {
  const request = pageRequest(params, tenant, deps);
  if (!request.ok) return errorAnswer(request.failure);
  const { query, position, limit } = request.value;
  const { rows: page, more } = await queryEvents(deps.db, tenant, query, position, limit, deps.maxPageBytes);
  const first = page[0];
  const last = page[page.length - 1];
  const cursorAt = (direction: CursorPosition['direction'], row: StoredEventRow) =>
    encodeCursor(deps.cursorSecret, tenant, {
      query,
      position: { direction, timeUs: row.time_us, eventId: row.event_id },
    });
  // Forward, "more" is known exactly; back, the page came from a later one, so there is a next.
  const hasNext = position.direction === 'after' ? more : page.length > 0;
  const hasPrevious = position.direction === 'before' ? more : request.value.fromCursor && page.length > 0;
  const next = hasNext && last ? cursorAt('after', last) : null;
  const previous = hasPrevious && first ? cursorAt('before', first) : null;
  return jsonAnswer(
    200,
    {
      events: page.map(storedEventFrom),
      page: { limit, next, previous },
      links: { next: link(next, limit), previous: link(previous, limit) },
    },
    { 'cache-control': 'no-store' },
  );
}
