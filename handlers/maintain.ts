/** Keeps the time partitions (scheduled hourly, or by hand): lib/maintain/maintainFunction.ts. */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { maintainFunction } from '../lib/maintain/maintainFunction';

export const handler = lambdaHandler(maintainFunction);
