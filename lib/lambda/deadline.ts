import type { Context } from 'aws-lambda';

/**
 * Epoch ms after which an invocation starts no new work: Lambda's remaining time less `marginMs`,
 * kept back so that what was done is reported (a batch response, a replay's report) before the
 * timeout cuts the function off.
 *
 * @example
 * const deadline = invocationDeadline(context, 3_000);
 */
export function invocationDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>, marginMs: number): number {
  return Date.now() + context.getRemainingTimeInMillis() - marginMs;
}
