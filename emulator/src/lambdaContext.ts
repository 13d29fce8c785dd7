/**
 * The `context` argument a Lambda handler gets, with a clock that runs down from the function's
 * timeout like the real one (handlers use it to stop work before they are cut off).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface ContextOptions {
  functionName: string;
  functionArn: string;
  memorySizeMb: number;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
  requestId?: string;
}

function unsupported(): never {
  throw new Error(
    'context.done/fail/succeed are not supported by the emulator: return (or throw) from an async handler',
  );
}

/**
 * @example
 * const context = createLambdaContext({ functionName, functionArn, memorySizeMb: 1024, deadline: Date.now() + 60_000 });
 */
export function createLambdaContext(options: ContextOptions): Context {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: options.functionArn,
    memoryLimitInMB: String(options.memorySizeMb),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, options.deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * A context for a function by name, with `timeoutMs` to run: the short form for local callers.
 *
 * @example
 * await handler(event, lambdaContext('ingest', 29_000));
 */
export function lambdaContext(functionName: string, timeoutMs: number, region = 'us-east-1'): Context {
  return createLambdaContext({
    functionName,
    functionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memorySizeMb: 1024,
    deadline: Date.now() + timeoutMs,
  });
}
