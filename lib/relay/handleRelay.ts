/**
 * One relay invocation: relay the batch, dead-letter what can never be put, log and measure it.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { deadLetterRecords } from '../dlq/deadLetterRecords';
import type { ShardRecord } from '../kinesis/shardRecord';
import type { Observability } from '../lambda/observability';
import { relayBatch, type RelayTarget } from './relayBatch';

export interface RelayDeps {
  targets: readonly RelayTarget[];
  sqs: SQSClient;
  dlqUrl: string;
  maxMessageBytes: number;
  functionName: string;
  /** Epoch ms by which the puts must be done. */
  deadline: number;
}

/**
 * @example
 * return handleRelay(event.Records, { targets, sqs, dlqUrl, maxMessageBytes, functionName, deadline }, observability);
 */
export async function handleRelay(
  records: readonly ShardRecord[],
  deps: RelayDeps,
  { logger, metrics }: Observability,
): Promise<KinesisStreamBatchResponse> {
  const started = Date.now();
  const result = await relayBatch(records, {
    targets: deps.targets,
    deadline: deps.deadline,
    deadLetter: async (rejected) => {
      await deadLetterRecords(
        rejected.map(({ record, error }) => ({ record, reason: 'relay-rejected', error })),
        { sqs: deps.sqs, dlqUrl: deps.dlqUrl, maxMessageBytes: deps.maxMessageBytes, functionName: deps.functionName },
      );
    },
  });
  if (result.deadLetterError)
    logger.error('could not dead-letter records the relay refused; they will be retried', {
      error: result.deadLetterError as Error,
    });
  metrics.addMetric('RecordsPerInvocation', MetricUnit.Count, records.length);
  metrics.addMetric('RecordsRelayed', MetricUnit.Count, Math.min(...result.targets.map((t) => t.put)));
  metrics.addMetric('RecordsRetried', MetricUnit.Count, result.response.batchItemFailures.length);
  metrics.addMetric('RecordsRejected', MetricUnit.Count, Math.max(0, ...result.targets.map((t) => t.rejected)));
  metrics.addMetric('RelayTime', MetricUnit.Milliseconds, Date.now() - started);
  logger.info('relayed', {
    records: records.length,
    targets: result.targets,
    batchItemFailures: result.response.batchItemFailures.length,
  });
  return result.response;
}
