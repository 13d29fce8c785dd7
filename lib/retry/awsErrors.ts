/**
 * Which AWS failures are worth retrying. Throttling and internal failures clear up on their own; a
 * missing stream, denied access or a disabled KMS key fail every retry the same way.
 */

const RETRYABLE_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'InternalFailureException',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'LimitExceededException',
  'KMSThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'MissingResult',
]);

export interface AwsFailure {
  code: string;
  message: string;
  /** False when retrying can never help (too large, access denied, no such stream). */
  retryable: boolean;
}

/** A per-entry error code (PutRecords, SendMessageBatch) that may clear up by itself. */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

/**
 * What an error thrown by an SDK call means for retrying it.
 *
 * @example
 * classifyAwsError(error); // { code: 'ProvisionedThroughputExceededException', message: '...', retryable: true }
 */
export function classifyAwsError(error: unknown): AwsFailure {
  const err = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  } | null;
  const code = err?.name && err.name !== 'Error' ? err.name : (err?.code ?? 'UnknownError');
  const status = err?.$metadata?.httpStatusCode;
  // A 4xx that is not throttling is the caller's mistake (no such stream, access denied, bad
  // argument) and will fail again. Anything else, including errors with no status at all (socket
  // resets, timeouts), may clear up: retry it within the deadline.
  const clientError = status !== undefined && status >= 400 && status < 500;
  return { code, message: err?.message ?? String(error), retryable: RETRYABLE_CODES.has(code) || !clientError };
}

/** `classifyAwsError(error).retryable`, as `withRetry`'s predicate. */
export function isRetryableAwsError(error: unknown): boolean {
  return classifyAwsError(error).retryable;
}
