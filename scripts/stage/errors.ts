/** Why a CLI run stopped short of its checks: said in one line, never with a stack. */
import { PipelineError } from '../../lib/errors';

/**
 * `code`: USAGE (bad flags), NO_REGION, AWS (a call that could not be made: credentials, network),
 * REFUSED (an operation that would leave the stage worse off).
 */
export class CliError extends PipelineError {
  override readonly name = 'CliError';
  constructor(code: 'USAGE' | 'NO_REGION' | 'AWS' | 'REFUSED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
