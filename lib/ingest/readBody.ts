/**
 * The request body as bytes, with every size check done before the work it protects: the wire size
 * before decoding base64 (computed from the string's length), the inflated size while inflating.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpFailure } from '../http/errorAnswer';
import type { BodyEncoding } from './bodyEncoding';
import { gunzipBounded } from './gunzipBounded';

export type ReadBodyResult =
  | { ok: true; bytes: Buffer; receivedBytes: number }
  | { ok: false; failure: HttpFailure; receivedBytes: number };

/**
 * Bytes a base64 string decodes to, without decoding it.
 *
 * @example
 * base64DecodedLength('aGVsbG8='); // 5
 */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((text.length * 3) / 4) - padding);
}

function tooLarge(message: string, limit: number): HttpFailure {
  return { status: 413, code: 'PAYLOAD_TOO_LARGE', message, details: { limitBytes: limit } };
}

/**
 * @param limit - most bytes taken, both as received and after decompression.
 * @example
 * const body = await readBody(event, 'gzip', config.maxBodyBytes);
 * if (!body.ok) return errorAnswer(body.failure);
 */
export async function readBody(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>,
  encoding: BodyEncoding,
  limit: number,
): Promise<ReadBodyResult> {
  const text = event.body ?? '';
  const receivedBytes = event.isBase64Encoded ? base64DecodedLength(text) : Buffer.byteLength(text, 'utf8');
  if (receivedBytes === 0)
    return { ok: false, failure: { status: 400, code: 'EMPTY_BODY', message: 'the body is empty' }, receivedBytes };
  if (receivedBytes > limit)
    return {
      ok: false,
      failure: tooLarge(`the body is ${receivedBytes} bytes; the limit is ${limit}`, limit),
      receivedBytes,
    };

  const bytes = Buffer.from(text, event.isBase64Encoded ? 'base64' : 'utf8');
  if (encoding === 'identity') return { ok: true, bytes, receivedBytes };

  const inflated = await gunzipBounded(bytes, limit);
  if (inflated.ok) return { ok: true, bytes: inflated.data, receivedBytes };
  if (inflated.reason === 'too-large')
    return {
      ok: false,
      failure: tooLarge(`the decompressed body is over the limit of ${limit} bytes`, limit),
      receivedBytes,
    };
  return {
    ok: false,
    failure: { status: 400, code: 'INVALID_BODY', message: `the body is not valid gzip: ${inflated.message}` },
    receivedBytes,
  };
}
