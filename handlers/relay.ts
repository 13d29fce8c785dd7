/** Telemetry stream -> every relay target: lib/relay/relayBatch.ts. */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { relayFunction } from '../lib/relay/relayFunction';

export const handler = lambdaHandler(relayFunction);
