/**
 * The migrate function in the one handler shape (lib/lambda/lambdaHandler.ts). Two callers:
 * - the `Migrations` custom resource during `serverless deploy`: it always gets an answer, SUCCESS or
 *   FAILED with the migration's error, before the function's own timeout, so a stack never waits;
 * - an operator (`aws lambda invoke --function-name <service>-<stage>-migrate`): `{}` in, the names
 *   of the applied migrations out, an error thrown as any function's.
 */
import path from 'node:path';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { optionalString, type Env } from '../config';
import { errorMessage, PipelineError } from '../errors';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { sendResponse, type Outcome } from './cloudFormationResponse';
import { runMigrations, type MigrationRun } from './runMigrations';

/** Kept back from the function's timeout to send a FAILED answer when the migrations run long. */
const ANSWER_MARGIN_MS = 10_000;
/**
 * Postgres' own limit on a statement is the budget plus this: the deadline answers first, then the
 * server cancels what was left running (closing the socket alone does not stop a running statement).
 */
const STATEMENT_GRACE_MS = 1_000;
/** The schema stays one resource across updates; a new id would make CloudFormation delete the old one. */
const PHYSICAL_ID = 'telemetry-database-schema';

export type MigrateEvent = CloudFormationCustomResourceEvent | Record<string, never>;

export interface MigrateDeps {
  env: Env;
  migrationsDir: string;
}

function isCustomResourceEvent(event: MigrateEvent): event is CloudFormationCustomResourceEvent {
  return typeof (event as { RequestType?: unknown }).RequestType === 'string' && 'ResponseURL' in event;
}

class MigrationTimeoutError extends PipelineError {
  override readonly name = 'MigrationTimeoutError';
  constructor(budgetMs: number) {
    super(
      'MIGRATION_TIMEOUT',
      `migrations did not finish within ${Math.round(budgetMs / 1000)} s (another deploy holding the migration ` +
        'lock, or a long backfill): the run was stopped and Postgres cancels the statement in progress within ' +
        `${STATEMENT_GRACE_MS / 1000} s, rolling its migration back; applied ones stay. Run the rest by hand ` +
        '(npm run migrate), then deploy again',
    );
  }
}

/** Runs the migrations, stopping them (by closing their connection) when the invocation's time runs short. */
async function migrateWithinDeadline(deps: MigrateDeps, context: Context): Promise<MigrationRun> {
  const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new MigrationTimeoutError(budgetMs));
      controller.abort();
    }, budgetMs);
  });
  const run = runMigrations(deps.env, deps.migrationsDir, {
    budgetMs: budgetMs + STATEMENT_GRACE_MS,
    signal: controller.signal,
  });
  // The run rejects too once aborted; the timeout has already answered.
  run.catch(() => undefined);
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function customResourceOutcome(
  event: CloudFormationCustomResourceEvent,
  context: Context,
  deps: MigrateDeps,
): Promise<Outcome> {
  const physicalResourceId = event.RequestType === 'Create' ? PHYSICAL_ID : event.PhysicalResourceId;
  // Removing the stack (or this resource) leaves the schema and its data where they are.
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', physicalResourceId };
  try {
    const { applied } = await migrateWithinDeadline(deps, context);
    // Counts, not names: CloudFormation refuses an answer over 4 KB, and a new stage applies them all.
    return {
      status: 'SUCCESS',
      physicalResourceId,
      data: { Applied: String(applied.length), Last: applied.at(-1) ?? 'none' },
    };
  } catch (error) {
    return { status: 'FAILED', physicalResourceId, reason: errorMessage(error) };
  }
}

export const migrateFunction: FunctionDefinition<MigrateEvent, MigrationRun | Outcome, MigrateDeps> = {
  service: 'migrate',
  // Nothing read here can fail: a configuration error must become a FAILED answer to CloudFormation,
  // which only `handle` can send.
  build: (env) => ({
    env,
    migrationsDir:
      optionalString(env, 'MIGRATIONS_DIR') ?? path.join(optionalString(env, 'LAMBDA_TASK_ROOT') ?? '.', 'migrations'),
  }),
  handle: async (event, context, deps, { logger }) => {
    if (!isCustomResourceEvent(event)) return migrateWithinDeadline(deps, context);
    const outcome = await customResourceOutcome(event, context, deps);
    if (outcome.status === 'FAILED') logger.error('migrations failed', { reason: outcome.reason });
    else logger.info('migrations done', { requestType: event.RequestType, ...outcome.data });
    await sendResponse(event, outcome);
    return outcome;
  },
};
