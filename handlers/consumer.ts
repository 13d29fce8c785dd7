/** Kinesis -> Postgres: lib/consumer/processBatch.ts. */
import { consumerFunction } from '../lib/consumer/consumerFunction';
import { lambdaHandler } from '../lib/lambda/lambdaHandler';

export const handler = lambdaHandler(consumerFunction);
