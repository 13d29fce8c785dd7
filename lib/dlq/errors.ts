import { PipelineError } from '../errors';

/** A dead-letter message is none of the kinds the pipeline writes (or is a version we do not know). */
export class DlqMessageError extends PipelineError {
  override readonly name = 'DlqMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DLQ_MESSAGE_INVALID', message, options);
  }
}
