/** Manual invoke: fill the gap after a re-created trigger from the checkpoints (lib/replay/fillFunction.ts). */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { fillFunction } from '../lib/replay/fillFunction';

export const handler = lambdaHandler(fillFunction);
