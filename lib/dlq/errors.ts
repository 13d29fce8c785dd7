/** A dead-letter message is neither of the two kinds the pipeline writes (or is a version we do not know). */
export class DlqMessageError extends Error {
  override readonly name = 'DlqMessageError';
  readonly code = 'DLQ_MESSAGE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
