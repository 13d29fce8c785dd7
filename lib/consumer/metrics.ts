/**
 * The consumer's CloudWatch metrics (EMF through Powertools): what a team running Kinesis consumers
 * watches per invocation, plus how far behind the stream the batch was. Iterator age is recorded on failures
 * too, since a failing consumer is exactly when it grows.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { BatchStats } from './types';

export const METRIC = {
  records: 'RecordsReceived',
  written: 'RecordsWritten',
  duplicates: 'DuplicatesSkipped',
  poison: 'PoisonRecords',
  statements: 'DatabaseStatements',
  databaseTime: 'DatabaseTime',
  totalTime: 'TotalTime',
  iteratorAge: 'IteratorAge',
  dlqMessages: 'DeadLetterMessages',
  checkpointed: 'BatchCheckpointed',
  failed: 'BatchFailed',
} as const;

/**
 * @example
 * recordBatchMetrics(metrics, result.stats);
 * metrics.publishStoredMetrics();
 */
export function recordBatchMetrics(metrics: Metrics, stats: BatchStats): void {
  metrics.addMetric(METRIC.records, MetricUnit.Count, stats.records);
  metrics.addMetric(METRIC.written, MetricUnit.Count, stats.written);
  metrics.addMetric(METRIC.duplicates, MetricUnit.Count, stats.duplicates);
  metrics.addMetric(METRIC.poison, MetricUnit.Count, stats.poison);
  metrics.addMetric(METRIC.statements, MetricUnit.Count, stats.statements);
  metrics.addMetric(METRIC.databaseTime, MetricUnit.Milliseconds, stats.databaseMs);
  metrics.addMetric(METRIC.totalTime, MetricUnit.Milliseconds, stats.totalMs);
  metrics.addMetric(METRIC.iteratorAge, MetricUnit.Milliseconds, stats.iteratorAgeMs);
  metrics.addMetric(METRIC.dlqMessages, MetricUnit.Count, stats.dlqMessages);
  if (stats.checkpointed) metrics.addMetric(METRIC.checkpointed, MetricUnit.Count, 1);
}

/**
 * @example
 * recordFailureMetrics(metrics, event.Records.length, iteratorAgeMs(event.Records));
 */
export function recordFailureMetrics(metrics: Metrics, records: number, iteratorAge: number): void {
  metrics.addMetric(METRIC.failed, MetricUnit.Count, 1);
  metrics.addMetric(METRIC.records, MetricUnit.Count, records);
  metrics.addMetric(METRIC.iteratorAge, MetricUnit.Milliseconds, iteratorAge);
}
