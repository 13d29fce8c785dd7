/**
 * Which body formats ingest takes, from the `Content-Type` header. JSON (one object or an array of
 * objects) and newline-delimited JSON; a missing content type is read as JSON, because that is what
 * nearly every client that forgets the header is sending. The only charset is UTF-8 (RFC 8259).
 */
import type { HttpFailure } from '../http/errorAnswer';

export type BodyFormat = 'json' | 'ndjson';

const FORMATS: Readonly<Record<string, BodyFormat>> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
};

export const ACCEPTED_CONTENT_TYPES = Object.keys(FORMATS);

const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);

/**
 * @example
 * bodyFormat('application/x-ndjson; charset=utf-8'); // { ok: true, format: 'ndjson' }
 * bodyFormat('text/csv'); // { ok: false, failure: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', ... } }
 */
export function bodyFormat(
  contentType: string | undefined,
): { ok: true; format: BodyFormat } | { ok: false; failure: HttpFailure } {
  if (contentType === undefined || contentType.trim() === '') return { ok: true, format: 'json' };
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  const format = FORMATS[type.toLowerCase()];
  const unsupported = (message: string): { ok: false; failure: HttpFailure } => ({
    ok: false,
    failure: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message, details: { accepted: ACCEPTED_CONTENT_TYPES } },
  });
  if (!format) return unsupported(`content type ${JSON.stringify(type.slice(0, 100))} is not accepted`);
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() !== 'charset') continue;
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (!UTF8_CHARSETS.has(charset))
      return unsupported(`charset ${JSON.stringify(charset.slice(0, 40))} is not accepted: send UTF-8`);
  }
  return { ok: true, format };
}
