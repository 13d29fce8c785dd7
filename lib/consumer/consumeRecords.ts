/**
 * The consumer's entry point for plain shard records, used by the consumer function and by the
 * gap fill alike: `processBatch` plus what an operator sees, metrics for every batch (success or
 * failure) and a log line for every batch with poison records or cut short.
 */
import { classifyDatabaseError } from '../db/classifyError';
import { errorCode, errorMessage, PipelineError } from '../errors';
import type { ShardRecord } from '../kinesis/shardRecord';
import type { Observability } from '../lambda/observability';
import { recordBatchMetrics, recordFailureMetrics } from './metrics';
import { iteratorAgeMs, processBatch, type BatchResult, type ConsumerDeps } from './processBatch';

/** A batch failed in a way that retrying may fix (see processBatch): the caller fails the batch. */
export class BatchFailedError extends PipelineError {
  override readonly name = 'BatchFailedError';
  constructor(message: string, options: { cause: unknown; details: Record<string, unknown> }) {
    super('BATCH_FAILED', message, options);
  }
}

/**
 * @returns what `processBatch` returns; its stats are already recorded as metrics.
 * @throws BatchFailedError (the original error as `cause`) when the batch must be retried.
 * @example
 * const { batchItemFailures } = await consumeRecords(event.Records.map(fromLambdaRecord), deps, observability);
 */
export async function consumeRecords(
  records: readonly ShardRecord[],
  deps: ConsumerDeps,
  { metrics, logger }: Observability,
): Promise<BatchResult> {
  try {
    const result = await processBatch(records, deps);
    recordBatchMetrics(metrics, result.stats);
    if (result.stats.poison > 0 || result.batchItemFailures.length > 0) {
      logger.info('batch had poison records or stopped early', {
        ...result.stats,
        batchItemFailures: result.batchItemFailures,
      });
    }
    return result;
  } catch (error) {
    recordFailureMetrics(metrics, records.length, iteratorAgeMs(records));
    throw new BatchFailedError(`batch failed, to be retried: ${errorMessage(error)}`, {
      cause: error,
      details: {
        code: errorCode(error),
        databaseErrorKind: classifyDatabaseError(error),
        shardId: records[0]?.shardId,
        firstSequenceNumber: records[0]?.sequenceNumber,
        records: records.length,
      },
    });
  }
}
