/**
 * Who sent a request: its API key (`x-api-key`, or `Authorization: Bearer`) checked against the key
 * store. The refusals are the answers every route gives: 401 for a missing, unknown or expired key,
 * 503 while the key store cannot be read (the key may be good: the client should come back, not
 * give up, and nothing it sent was taken).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpFailure } from '../http/errorAnswer';
import type { Caller, KeyStore } from './keyStore';
import { requestApiKey } from './requestKey';

/** Seconds a client is asked to wait while the key store cannot be read. */
export const KEY_STORE_RETRY_AFTER_SECONDS = 5;

const UNAUTHORIZED: HttpFailure = {
  status: 401,
  code: 'UNAUTHORIZED',
  message: 'a valid API key is required in the x-api-key header (or Authorization: Bearer <key>)',
};
const EXPIRED: HttpFailure = {
  status: 401,
  code: 'KEY_EXPIRED',
  message: 'this API key has expired: use the key that replaced it',
};
const UNAVAILABLE: HttpFailure = {
  status: 503,
  code: 'KEY_STORE_UNAVAILABLE',
  message: 'API keys cannot be checked right now; nothing in this request was taken: send it again later',
  retryAfterSeconds: KEY_STORE_RETRY_AFTER_SECONDS,
};

export type Authentication = { ok: true; caller: Caller } | { ok: false; failure: HttpFailure };

/**
 * @example
 * const auth = await authenticate(event, deps.keys);
 * if (!auth.ok) return errorAnswer(auth.failure);
 * const { tenant } = auth.caller;
 */
export async function authenticate(
  event: Pick<APIGatewayProxyEventV2, 'headers'>,
  keys: KeyStore,
): Promise<Authentication> {
  const check = await keys.check(requestApiKey(event));
  if (check.ok) return check;
  if (check.reason === 'unavailable') return { ok: false, failure: UNAVAILABLE };
  return { ok: false, failure: check.reason === 'expired' ? EXPIRED : UNAUTHORIZED };
}
