/**
 * Bytes → the items a client sent, each still unchecked. A body that cannot be read at all is one
 * failure for the whole request; an NDJSON line that is not JSON is a failure of that item only.
 */
import { errorMessage } from '../errors';
import type { HttpFailure } from '../http/errorAnswer';
import type { BodyFormat } from './bodyFormat';

export type ParsedItem =
  | { ok: true; value: unknown }
  // INVALID_EVENT: an OTLP item that maps to no event (lib/otlp/toItems.ts).
  | { ok: false; code: 'INVALID_JSON' | 'INVALID_EVENT'; error: string };

export type ParseResult = { ok: true; items: ParsedItem[] } | { ok: false; failure: HttpFailure };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalidBody(message: string): { ok: false; failure: HttpFailure } {
  return { ok: false, failure: { status: 400, code: 'INVALID_BODY', message } };
}

function tooMany(count: number | string, maxItems: number): { ok: false; failure: HttpFailure } {
  return {
    ok: false,
    failure: {
      status: 413,
      code: 'TOO_MANY_EVENTS',
      message: `the body holds ${count} events; the limit is ${maxItems} per request`,
      details: { limitEvents: maxItems },
    },
  };
}

function parseJson(text: string, maxItems: number): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalidBody(`the body is not valid JSON: ${errorMessage(error)}`);
  }
  if (Array.isArray(value)) {
    if (value.length > maxItems) return tooMany(value.length, maxItems);
    if (value.length === 0)
      return { ok: false, failure: { status: 400, code: 'NO_EVENTS', message: 'the body is an empty array' } };
    return { ok: true, items: value.map((item: unknown) => ({ ok: true, value: item })) };
  }
  if (typeof value === 'object' && value !== null) return { ok: true, items: [{ ok: true, value }] };
  return invalidBody('the body must be a JSON object or an array of objects');
}

/** Blank lines (a trailing newline, say) are not items: an item's index counts only non-blank lines. */
function parseNdjson(text: string, maxItems: number): ParseResult {
  const lines: string[] = [];
  // one pass that stops at the limit, rather than splitting millions of lines and counting after
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end);
    if (line.trim() !== '') {
      if (lines.length === maxItems) return tooMany(`more than ${maxItems}`, maxItems);
      lines.push(line);
    }
    start = end + 1;
  }
  return {
    ok: true,
    items: lines.map((line): ParsedItem => {
      try {
        return { ok: true, value: JSON.parse(line) };
      } catch (error) {
        return { ok: false, code: 'INVALID_JSON', error: `not valid JSON: ${errorMessage(error)}` };
      }
    }),
  };
}

/**
 * @example
 * const parsed = parseItems(Buffer.from('{"source":"a","timestamp":1}\n'), 'ndjson', 10_000);
 * // { ok: true, items: [{ ok: true, value: { source: 'a', timestamp: 1 } }] }
 */
export function parseItems(bytes: Buffer, format: BodyFormat, maxItems: number): ParseResult {
  let text: string;
  try {
    // fatal: a body that is not UTF-8 is refused rather than silently altered with U+FFFD
    text = utf8.decode(bytes);
  } catch {
    return invalidBody('the body is not valid UTF-8');
  }
  if (text.trim() === '')
    return { ok: false, failure: { status: 400, code: 'EMPTY_BODY', message: 'the body is empty' } };
  return format === 'json' ? parseJson(text, maxItems) : parseNdjson(text, maxItems);
}
