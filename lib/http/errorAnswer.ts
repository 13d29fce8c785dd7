/**
 * The one JSON error shape: `{code, message, ...details}`. `code` is stable (clients switch on it);
 * `message` is for people and may change.
 */
import { jsonAnswer, type HttpAnswer } from './answer';

/** A refusal described as data, so library code can return it instead of throwing. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  /** Extra fields merged into the body (e.g. `rejected`, `limit`). */
  details?: Record<string, unknown>;
  /** Seconds, for 503 and other "come back later" answers. */
  retryAfterSeconds?: number;
}

/**
 * @example
 * return errorAnswer({ status: 401, code: 'UNAUTHORIZED', message: 'missing or invalid x-api-key' });
 */
export function errorAnswer(failure: HttpFailure): HttpAnswer {
  const headers: Record<string, string> = {};
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  // details go first so that they can never overwrite the stable code or the message
  return jsonAnswer(failure.status, { ...failure.details, code: failure.code, message: failure.message }, headers);
}
