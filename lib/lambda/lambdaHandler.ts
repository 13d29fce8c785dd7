/**
 * The one shape every function has. A handler file is one line over a `FunctionDefinition`:
 *
 * ```ts
 * export const handler = lambdaHandler(consumerFunction);
 * ```
 *
 * What the shape guarantees, for every function alike:
 * - dependencies are built once per container, on the first invocation (so importing a handler
 *   needs no environment), from the environment and the client seam; a build that throws (a
 *   `ConfigError`) is logged and fails that invocation, and the next one tries again;
 * - the logger carries the invocation's context (request id, function name, cold start);
 * - metrics added during the invocation are published in a `finally`, on every path;
 * - an error that escapes the function is logged once, here, with its code, details and cause, and
 *   thrown on to Lambda (which retries or records the failure).
 */
import type { Context } from 'aws-lambda';
import type { ClientOverrides } from '../aws/clients';
import type { Env } from '../config';
import { errorCode, errorMessage, PipelineError } from '../errors';
import { createObservability, type Observability } from './observability';

export interface FunctionDefinition<TEvent, TResult, TDeps> {
  /** The function's name in logs and metrics, unless `POWERTOOLS_SERVICE_NAME` says otherwise. */
  service: string;
  /** Everything the function needs, from its configuration; called once per container. */
  build(env: Env, clients: ClientOverrides, observability: Observability): TDeps;
  /** One invocation. Metrics it adds are published by the shape; it need not log what it throws. */
  handle(event: TEvent, context: Context, deps: TDeps, observability: Observability): Promise<TResult>;
}

/** What tests and the local stack may hand in instead of the defaults. */
export interface HandlerSeam {
  /** Default `process.env`, read on the first invocation. */
  env?: Env;
  clients?: ClientOverrides;
}

export type LambdaHandler<TEvent, TResult> = ((event: TEvent, context: Context) => Promise<TResult>) & {
  /** The definition the handler runs, so that a caller can build another one with its own seam. */
  readonly definition: FunctionDefinition<TEvent, TResult, unknown>;
};

function describe(error: unknown): Record<string, unknown> {
  const cause = error instanceof Error ? error.cause : undefined;
  return {
    error: errorMessage(error),
    code: errorCode(error),
    ...(error instanceof PipelineError ? error.details : {}),
    ...(cause === undefined ? {} : { cause: errorMessage(cause), causeCode: errorCode(cause) }),
    stack: error instanceof Error ? error.stack : undefined,
  };
}

/**
 * @example
 * export const handler = lambdaHandler(ingestFunction);
 * // a test with its own clients:
 * const faulty = lambdaHandler(handler.definition, { clients: { kinesis: () => throttlingClient } });
 */
export function lambdaHandler<TEvent, TResult, TDeps>(
  definition: FunctionDefinition<TEvent, TResult, TDeps>,
  seam: HandlerSeam = {},
): LambdaHandler<TEvent, TResult> {
  let observability: Observability | undefined;
  let deps: TDeps | undefined;
  const handler = async (event: TEvent, context: Context): Promise<TResult> => {
    const env = seam.env ?? process.env;
    observability ??= createObservability(definition.service, env);
    const { logger, metrics } = observability;
    logger.addContext(context);
    try {
      deps ??= definition.build(env, seam.clients ?? {}, observability);
      return await definition.handle(event, context, deps, observability);
    } catch (error) {
      logger.error('invocation failed', describe(error));
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
  return Object.assign(handler, { definition: definition as FunctionDefinition<TEvent, TResult, unknown> });
}
