/**
 * Which Kinesis failures are worth retrying. Throttling and internal failures clear up on their
 * own; a missing stream, denied access or a disabled KMS key will fail every retry the same way.
 */
import type { PutFailure } from './putRecords';

const RETRYABLE_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'MissingResult',
]);

export function isRetryableEntryCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

/** Turns an error thrown by a whole PutRecords call into the failure of each of its entries. */
export function classifyCallError(error: unknown): Omit<PutFailure, 'index'> {
  const err = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.name && err.name !== 'Error' ? err.name : (err.code ?? 'UnknownError');
  const status = err.$metadata?.httpStatusCode;
  // A 4xx that is not throttling is the caller's mistake (no such stream, access denied, bad
  // argument) and will fail again. Anything else, including errors with no status at all (socket
  // resets, timeouts), may clear up: retry it within the deadline.
  const clientError = status !== undefined && status >= 400 && status < 500;
  const retryable = RETRYABLE_CODES.has(code) || !clientError;
  return { code, message: err.message ?? String(error), retryable };
}
