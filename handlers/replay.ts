/** Manual invoke: drain the dead-letter queue, or fill from checkpoints: lib/replay/replayFunction.ts. */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { replayFunction } from '../lib/replay/replayFunction';

export const handler = lambdaHandler(replayFunction);
