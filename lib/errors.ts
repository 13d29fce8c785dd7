/**
 * Typed errors shared across the pipeline. Each carries a stable `code` (what callers and HTTP
 * answers switch on) and, where it wraps another failure, the original as `cause`.
 */

/** Configuration is missing or malformed; thrown once, at cold start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A record can never be put on Kinesis as it is (too large, bad partition key). Not retryable. */
export class RecordRejectedError extends Error {
  override readonly name = 'RecordRejectedError';
  constructor(
    readonly code: 'RECORD_TOO_LARGE' | 'INVALID_PARTITION_KEY',
    message: string,
  ) {
    super(message);
  }
}

/** Sending to the dead-letter queue failed: the caller must fail the batch rather than drop records. */
export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
  readonly code = 'DLQ_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Message of any thrown value, for logs and error bodies. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
