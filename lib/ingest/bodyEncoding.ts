/**
 * Which content encodings ingest takes: none (`identity`) and gzip. Deflate and brotli are refused
 * with 415 rather than supported half-way: every client library that compresses can do gzip.
 */
import type { HttpFailure } from '../http/errorAnswer';

export type BodyEncoding = 'identity' | 'gzip';

const GZIP = new Set(['gzip', 'x-gzip']);

/**
 * @example
 * bodyEncoding('gzip'); // { ok: true, encoding: 'gzip' }
 * bodyEncoding('br'); // { ok: false, failure: { status: 415, code: 'UNSUPPORTED_ENCODING', ... } }
 */
export function bodyEncoding(
  contentEncoding: string | undefined,
): { ok: true; encoding: BodyEncoding } | { ok: false; failure: HttpFailure } {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return { ok: true, encoding: 'identity' };
  if (codings.length === 1 && GZIP.has(codings[0] as string)) return { ok: true, encoding: 'gzip' };
  return {
    ok: false,
    failure: {
      status: 415,
      code: 'UNSUPPORTED_ENCODING',
      message: `content encoding ${JSON.stringify((contentEncoding ?? '').slice(0, 100))} is not accepted: send gzip or no encoding`,
      details: { accepted: ['gzip', 'identity'] },
    },
  };
}
