/**
 * Sorts a failed statement into what the consumer must do about it:
 *
 * - `data`: Postgres refused the *rows* (SQLSTATE class 22 data exception, e.g. 22P05 for `\u0000` in
 *   jsonb or 22007 for a timestamp JavaScript accepted but Postgres does not; class 23 integrity; class
 *   54 program limit, e.g. a row too big). Sending the same rows again fails the same way, so the
 *   consumer bisects the batch to isolate them and dead-letters them as `db-rejected`.
 * - `transient`: the database, not the data, is the problem (class 08 connection exception, 53 out of
 *   resources incl. 53300 too many connections, 57P01-57P03 shutting down / cannot connect now, 57014
 *   statement timeout, 40001/40P01 serialization failure / deadlock, and Node socket errors). The rows
 *   may well be fine, so they must not be dead-lettered: the invocation fails and Lambda retries.
 * - `unknown`: anything else (a bug, a missing table, bad credentials). Treated like transient by the
 *   consumer: retrying is safe because writes are idempotent, and once retries run out Lambda's own
 *   on-failure record keeps the range replayable. Dead-lettering rows for a fault of ours would be worse.
 */
import { errorCode as codeOf, errorMessage } from '../errors';

export type DatabaseErrorKind = 'data' | 'transient' | 'unknown';

const DATA_CLASSES = new Set(['22', '23', '54']);
const TRANSIENT_CLASSES = new Set(['08', '53']);
const TRANSIENT_CODES = new Set(['57P01', '57P02', '57P03', '57014', '40001', '40P01']);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
// node-postgres reports a lost or unusable connection by message only.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout expired',
  'Query read timeout',
  'Client was closed and is not queryable',
  'Client has encountered a connection error and is not queryable',
];

/**
 * @example
 * if (classifyDatabaseError(error) === 'data') await bisect(rows);
 * else throw error; // Lambda retries the batch
 */
export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  const code = codeOf(error);
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (TRANSIENT_CODES.has(code) || TRANSIENT_CLASSES.has(code.slice(0, 2))) return 'transient';
    if (DATA_CLASSES.has(code.slice(0, 2))) return 'data';
    return 'unknown';
  }
  if (code !== undefined && SOCKET_CODES.has(code)) return 'transient';
  const message = error instanceof Error ? error.message : '';
  if (CONNECTION_MESSAGES.some((prefix) => message.startsWith(prefix))) return 'transient';
  // AggregateError: Node's happy-eyeballs connect reports every address it tried.
  if (
    error instanceof AggregateError &&
    error.errors.length > 0 &&
    error.errors.every((inner) => classifyDatabaseError(inner) === 'transient')
  )
    return 'transient';
  return 'unknown';
}

/**
 * True when the connection itself is gone or unusable (as opposed to one statement failing on a
 * healthy connection), so the client must be thrown away and a new one made.
 *
 * @example
 * if (isConnectionLost(error)) discardClient();
 */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57P');
  return classifyDatabaseError(error) === 'transient';
}

/**
 * One line for a dead-letter message or a log: SQLSTATE, message and Postgres' detail when present.
 *
 * @example
 * describeDatabaseError(error); // '22P05 unsupported Unicode escape sequence (\\u0000 cannot be converted to text.)'
 */
export function describeDatabaseError(error: unknown): string {
  const message = errorMessage(error);
  const code = codeOf(error);
  const detail = (error as { detail?: unknown } | null)?.detail;
  return [code, message].filter(Boolean).join(' ') + (typeof detail === 'string' && detail ? ` (${detail})` : '');
}
