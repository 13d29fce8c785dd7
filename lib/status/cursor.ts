/**
 * Page cursors of `GET /telemetry`: opaque to clients, tamper-evident, and bound to the tenant. A
 * cursor is `<body>.<mac>`: the body (base64url JSON) holds the position and the query it belongs
 * to; the MAC is HMAC-SHA256 over the tenant and the body with the stage's cursor secret. An edited
 * cursor, or one handed over from another tenant, fails the MAC and is refused; the tenant is never
 * in the body, so a cursor says nothing about whose it is.
 *
 * Cursors do not expire; a new cursor secret (CURSOR_SECRET_ARN's value changed) makes every
 * outstanding cursor invalid, and clients start again from their query.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isPlainObject } from '../errors';
import { UUID_PATTERN } from '../telemetry/event';

export interface EventQuery {
  source: string;
  type: string | null;
  /** Window, epoch microseconds (decimal strings: beyond what a double holds exactly for long). */
  fromUs: string;
  toUs: string;
}

export interface CursorPosition {
  /** `after`: the page after this event (next); `before`: the page before it (previous). */
  direction: 'after' | 'before';
  timeUs: string;
  eventId: string;
}

export interface Cursor {
  query: EventQuery;
  position: CursorPosition;
}

const CURSOR_VERSION = 1;
/** 128 bits of the MAC: forging one is 2^128 guesses, and the cursor stays short enough for a URL. */
const MAC_BYTES = 16;
const DIGITS = /^-?\d{1,20}$/;
const MAX_CURSOR_LENGTH = 2048;

function mac(secret: Buffer, tenant: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`cursor:${tenant}:${body}`, 'utf8').digest().subarray(0, MAC_BYTES);
}

/**
 * @example
 * const next = encodeCursor(secret, 'acme', { query, position: { direction: 'after', timeUs, eventId } });
 */
export function encodeCursor(secret: Buffer, tenant: string, cursor: Cursor): string {
  const { query, position } = cursor;
  const body = Buffer.from(
    JSON.stringify({
      v: CURSOR_VERSION,
      s: query.source,
      y: query.type,
      f: query.fromUs,
      t: query.toUs,
      d: position.direction,
      at: position.timeUs,
      id: position.eventId,
    }),
    'utf8',
  ).toString('base64url');
  return `${body}.${mac(secret, tenant, body).toString('base64url')}`;
}

/**
 * The cursor's query and position, or undefined for anything this stage did not issue to this
 * tenant (edited, truncated, another tenant's, made with another secret).
 *
 * @example
 * const cursor = decodeCursor(secret, caller.tenant, params.cursor);
 * if (!cursor) return errorAnswer({ status: 400, code: 'INVALID_CURSOR', message: '...' });
 */
export function decodeCursor(secret: Buffer, tenant: string, text: string): Cursor | undefined {
  if (text.length > MAX_CURSOR_LENGTH) return undefined;
  const [body, tag, extra] = text.split('.');
  if (body === undefined || tag === undefined || extra !== undefined) return undefined;
  const presented = Buffer.from(tag, 'base64url');
  if (presented.length !== MAC_BYTES || !timingSafeEqual(presented, mac(secret, tenant, body))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  // Only this code writes cursors, so a body that passes the MAC is well formed; checked anyway,
  // because a secret that leaked must not become a way to send the query anything.
  if (!isPlainObject(value) || value.v !== CURSOR_VERSION) return undefined;
  const { s, y, f, t, d, at, id } = value;
  if (typeof s !== 'string' || (y !== null && typeof y !== 'string')) return undefined;
  if (![f, t, at].every((n) => typeof n === 'string' && DIGITS.test(n))) return undefined;
  if ((d !== 'after' && d !== 'before') || typeof id !== 'string' || !UUID_PATTERN.test(id)) return undefined;
  return {
    query: { source: s, type: y, fromUs: f as string, toUs: t as string },
    position: { direction: d, timeUs: at as string, eventId: id },
  };
}
