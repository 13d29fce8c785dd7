/**
 * Typed errors shared across the pipeline. Every error this code throws on purpose is a
 * `PipelineError`: a stable `code` (what callers, logs and HTTP answers switch on) and, where it
 * wraps another failure, the original as `cause`.
 */

export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  /** Facts for the one log line the handler writes about this error (never secrets, never payloads). */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.details = options?.details ?? {};
  }
}

/** Configuration is missing or malformed; thrown once, at cold start. */
export class ConfigError extends PipelineError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Sending to the dead-letter queue failed: the caller must fail the batch rather than drop records. */
export class DeadLetterError extends PipelineError {
  override readonly name = 'DeadLetterError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DLQ_UNAVAILABLE', message, options);
  }
}

/** Message of any thrown value, for logs and error bodies. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `code` of an error (a PipelineError's, an SDK's, a driver's SQLSTATE), when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A JSON object (not an array, not null): what every parser here checks before reading fields. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
