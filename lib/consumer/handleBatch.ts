/**
 * The consumer handler's body: `processBatch` wrapped in what an operator sees, metrics for every
 * invocation (success or failure) and a log line for every poison record and every failure.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import { classifyDatabaseError } from '../db/classifyError';
import { errorMessage } from '../errors';
import { recordBatchMetrics, recordFailureMetrics } from './metrics';
import { iteratorAgeMs, processBatch, type ConsumerDeps } from './processBatch';

/** The slice of a logger this needs; Powertools' `Logger` fits. */
export interface LogSink {
  info(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface Observers {
  metrics: Metrics;
  logger: LogSink;
}

/**
 * @example
 * export const handler = (event: KinesisStreamEvent, context: Context) =>
 *   handleBatch(event.Records, { ...deps, remainingTimeMs: () => context.getRemainingTimeInMillis() }, { metrics, logger });
 */
export async function handleBatch(records: readonly KinesisStreamRecord[], deps: ConsumerDeps, observers: Observers): Promise<KinesisStreamBatchResponse> {
  const { metrics, logger } = observers;
  try {
    const { batchItemFailures, stats } = await processBatch(records, deps);
    recordBatchMetrics(metrics, stats);
    if (stats.poison > 0 || batchItemFailures.length > 0) logger.info('batch had poison records or stopped early', { ...stats, batchItemFailures });
    return { batchItemFailures };
  } catch (error) {
    recordFailureMetrics(metrics, records.length, iteratorAgeMs(records));
    // Thrown on purpose: Lambda retries the whole batch (see processBatch for which faults land here).
    logger.error('batch failed; Lambda will retry it', {
      error: errorMessage(error),
      code: (error as { code?: unknown }).code,
      databaseErrorKind: classifyDatabaseError(error),
      firstSequenceNumber: records[0]?.kinesis.sequenceNumber,
      records: records.length,
    });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
