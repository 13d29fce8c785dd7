import type { Context } from 'aws-lambda';
import { readAwsConfig, requiredString } from '../lib/config';
import { replayDeps } from '../lib/replay/deps';
import type { FillReport } from '../lib/replay/fillFromCheckpoints';
import { createFillRunner, type FillRunner } from '../lib/replay/fillRequest';
import { parseReplayRequest, type ReplayRequest } from '../lib/replay/options';
import { replayQueue, type ReplayReport } from '../lib/replay/replayQueue';

// Stop starting new work this long before Lambda's timeout, so the report always gets out.
const SAFETY_MARGIN_MS = 10_000;

const deps = replayDeps(readAwsConfig(process.env));
const queueUrl = requiredString(process.env, 'DLQ_URL');
// Only the fill mode needs the database: built on its first use, then kept like any function's.
let filler: FillRunner | undefined;

/**
 * Manual invoke: `serverless invoke -f replay --stage prod --data '{"dryRun":true}'`, or
 * `--data '{"fromCheckpoints":true}'` to fill the gap after a re-created trigger.
 */
export const handler = async (event: ReplayRequest | null, context: Context): Promise<ReplayReport | FillReport> => {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  const options = parseReplayRequest(event, { queueUrl, deadline });
  if (event?.fromCheckpoints) {
    filler ??= createFillRunner(process.env);
    return filler.run(event, deadline);
  }
  return replayQueue(deps, options);
};
