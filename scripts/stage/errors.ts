/** Why a CLI run stopped short of its checks: said in one line, never with a stack. */
import { PipelineError } from '../../lib/errors';

/**
 * `code`: USAGE (bad flags), NO_REGION, AWS (a call that could not be made: credentials, network),
 * REFUSED (an operation that would leave the stage worse off), NOT_FOUND (what the command names is not there).
 */
export class CliError extends PipelineError {
  override readonly name = 'CliError';
  constructor(
    code: 'USAGE' | 'NO_REGION' | 'AWS' | 'REFUSED' | 'NOT_FOUND',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
