/** The consumer function (Kinesis -> Postgres) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createSqsClient } from '../aws/sqsClient';
import { createDatabaseConnection } from '../db/createConnection';
import { fromLambdaRecord } from '../kinesis/shardRecord';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readConsumerConfig } from './config';
import { consumeRecords } from './consumeRecords';
import type { ConsumerDeps } from './processBatch';

export const consumerFunction: FunctionDefinition<KinesisStreamEvent, KinesisStreamBatchResponse, ConsumerDeps> = {
  service: 'consumer',
  build: (env, clients) => {
    const config = readConsumerConfig(env);
    return {
      // The database connects on first use and is kept for the container's life.
      db: createDatabaseConnection(config.database, config.aws, config.functionName),
      sqs: createSqsClient(config.aws, clients),
      dlqUrl: config.dlqUrl,
      maxMessageBytes: config.dlqMaxMessageBytes,
      functionName: config.functionName,
      deadlineMarginMs: config.deadlineMarginMs,
    };
  },
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
