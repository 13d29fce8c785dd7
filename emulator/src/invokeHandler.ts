/**
 * One synchronous invocation of a handler, with the function's timeout enforced: a handler still
 * running at the timeout is a function error, as in Lambda, and its promise is abandoned (Lambda
 * would freeze or kill the sandbox; here its late result is ignored).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { errorMessage } from './errors';
import { createLambdaContext } from './lambdaContext';
import type { FunctionTarget } from './types';

export type InvocationResult =
  | { ok: true; response: unknown }
  | { ok: false; kind: 'error' | 'timeout'; message: string };

/**
 * @example
 * const result = await invokeHandler(fn, event);
 * if (!result.ok) console.log(result.kind, result.message);
 */
export async function invokeHandler(fn: FunctionTarget, event: KinesisStreamEvent): Promise<InvocationResult> {
  const deadline = Date.now() + fn.timeoutMs;
  const context = createLambdaContext({
    functionName: fn.name,
    functionArn: fn.arn,
    memorySizeMb: fn.memorySizeMb ?? 1024,
    deadline,
  });
  // Through a promise so that a synchronous throw is a function error like an async one.
  const running = Promise.resolve().then(() => fn.handler(event, context));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), fn.timeoutMs);
  });
  try {
    const outcome = await Promise.race([running.then((response) => ({ response })), timedOut]);
    if (outcome === 'timeout') {
      // The abandoned invocation may still reject later; that must not become an unhandled rejection.
      running.catch(() => undefined);
      return {
        ok: false,
        kind: 'timeout',
        message: `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`,
      };
    }
    return { ok: true, response: outcome.response };
  } catch (error) {
    return { ok: false, kind: 'error', message: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
