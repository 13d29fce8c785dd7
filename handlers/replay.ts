import type { Context } from 'aws-lambda';
import { readAwsConfig, requiredString } from '../lib/config';
import { replayDeps } from '../lib/replay/deps';
import { parseReplayRequest, type ReplayRequest } from '../lib/replay/options';
import { replayQueue, type ReplayReport } from '../lib/replay/replayQueue';

// Stop starting new work this long before Lambda's timeout, so the report always gets out.
const SAFETY_MARGIN_MS = 10_000;

const deps = replayDeps(readAwsConfig(process.env));
const queueUrl = requiredString(process.env, 'DLQ_URL');

/** Manual invoke: `serverless invoke -f replay --stage prod --data '{"dryRun":true}'`. */
export const handler = async (event: ReplayRequest | null, context: Context): Promise<ReplayReport> => {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  return replayQueue(deps, parseReplayRequest(event, { queueUrl, deadline }));
};
