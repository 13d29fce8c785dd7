/**
 * Tells an AWS answer (the service said no: a row in the table) from a call that never got one
 * (credentials, network: the run cannot go on).
 */
import { errorMessage } from '../../lib/errors';
import { CliError } from './errors';

/** An error the service itself returned (the SDK's ServiceException carries `$fault`). */
export function isServiceError(error: unknown): error is Error {
  return error instanceof Error && '$fault' in error;
}

/** `NameOfError: message`, on one line. */
export function describeServiceError(error: Error): string {
  return `${error.name}: ${error.message}`.replace(/\s+/g, ' ').trim();
}

/**
 * The service's answer as a row detail, or, when there was none, the error that ends the run.
 *
 * @throws CliError (AWS) when the call never reached the service.
 * @example
 * catch (error) { return { what, status: 'invalid', detail: `cannot read it: ${serviceFailure(error, 'GetParameter')}` }; }
 */
export function serviceFailure(error: unknown, call: string): string {
  if (isServiceError(error)) return describeServiceError(error);
  throw new CliError('AWS', `${call} failed: ${errorMessage(error)}`, { cause: error });
}
