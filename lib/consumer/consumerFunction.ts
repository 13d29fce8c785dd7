/** The consumer function (Kinesis -> Postgres) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { fromLambdaRecord } from '../kinesis/shardRecord';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readConsumerConfig } from './config';
import { consumeRecords } from './consumeRecords';
import { consumerDeps } from './consumerDeps';
import type { ConsumerDeps } from './processBatch';

export const consumerFunction: FunctionDefinition<KinesisStreamEvent, KinesisStreamBatchResponse, ConsumerDeps> = {
  service: 'consumer',
  build: (env, clients) => consumerDeps(readConsumerConfig(env), clients),
  handle: async (event, context, deps, observability) => {
    const remainingTimeMs = (): number => context.getRemainingTimeInMillis();
    const { batchItemFailures } = await consumeRecords(
      event.Records.map(fromLambdaRecord),
      { ...deps, remainingTimeMs },
      observability,
    );
    return { batchItemFailures };
  },
};
