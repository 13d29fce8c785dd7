/** Kinesis -> Postgres. The work is in lib/consumer/processBatch.ts; this wires it up once per container. */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createSqsClient } from '../lib/aws/sqsClient';
import { readConsumerConfig } from '../lib/consumer/config';
import { handleBatch } from '../lib/consumer/handleBatch';
import { createDatabaseConnection } from '../lib/db/createConnection';
import { createObservability } from '../lib/observability/powertools';

// Cold start: config checked, clients built; the database connects on first use and is kept.
const config = readConsumerConfig(process.env);
const db = createDatabaseConnection(config.database, config.aws, config.functionName);
const sqs = createSqsClient(config.aws);
const { metrics, logger } = createObservability({ serviceName: 'consumer' });
const target = { db, sqs, dlqUrl: config.dlqUrl, maxMessageBytes: config.dlqMaxMessageBytes, functionName: config.functionName };

export const handler = (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> =>
  handleBatch(event.Records, { ...target, remainingTimeMs: () => context.getRemainingTimeInMillis(), deadlineMarginMs: config.deadlineMarginMs }, { metrics, logger });
