/**
 * OTLP/HTTP answers (specification/protocol/otlp.md, "OTLP/HTTP Response"): 200 with the signal's
 * `Export*ServiceResponse`, carrying `partial_success` when items were refused; errors as a
 * `google.rpc.Status`, both in the request's encoding. The status codes are what clients act on:
 * 400/401/413/415 are not retried, 429/502/503/504 are, after `Retry-After`.
 */
import type { HttpAnswer } from '../http/answer';
import { OTLP_CONTENT_TYPES, type OtlpEncoding } from './encoding';
import type { OtlpSignal } from './model';
import { encodeExportResponse, encodeRpcStatus } from './protobuf/encode';

/** google.rpc.Code values for the statuses this receiver answers with. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The JSON names of each signal's rejected-count field. */
const REJECTED_FIELD: Readonly<Record<OtlpSignal, string>> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

function answer(statusCode: number, encoding: OtlpEncoding, body: Uint8Array | string, headers = {}): HttpAnswer {
  const binary = typeof body !== 'string';
  return {
    statusCode,
    headers: { 'content-type': OTLP_CONTENT_TYPES[encoding], ...headers },
    body: binary ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: binary,
  };
}

/**
 * 200: every item is on the stream, except `rejected` of them, which the sender must not resend.
 *
 * @example
 * return otlpSuccess('traces', 'protobuf', { rejected: 2, errorMessage: 'span 3: traceId is empty; ...' });
 */
export function otlpSuccess(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  partial?: { rejected: number; errorMessage: string },
): HttpAnswer {
  if (encoding === 'protobuf') return answer(200, encoding, encodeExportResponse(signal, partial));
  // An empty response means full success; int64 counts are strings in OTLP's JSON.
  const body = partial
    ? { partialSuccess: { [REJECTED_FIELD[signal]]: String(partial.rejected), errorMessage: partial.errorMessage } }
    : {};
  return answer(200, encoding, JSON.stringify(body));
}

/**
 * An error answer: `google.rpc.Status` with the code and message.
 *
 * @example
 * return otlpFailure(503, RPC_CODE.UNAVAILABLE, 'the stream did not take the spans in time', 'json', 2);
 */
export function otlpFailure(
  status: number,
  code: number,
  message: string,
  encoding: OtlpEncoding,
  retryAfterSeconds?: number,
): HttpAnswer {
  const headers = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  const body = encoding === 'protobuf' ? encodeRpcStatus(code, message) : JSON.stringify({ code, message });
  return answer(status, encoding, body, headers);
}
