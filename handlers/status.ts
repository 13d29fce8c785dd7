/** `GET /telemetry/{eventId}`: lib/status/handleStatus.ts. */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { statusFunction } from '../lib/status/statusFunction';

export const handler = lambdaHandler(statusFunction);
