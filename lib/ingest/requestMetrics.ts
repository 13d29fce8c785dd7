/**
 * The metrics and the one log line of an ingest request, the same for `POST /telemetry` and the
 * OTLP routes, so the dashboard and alarms (EventsNotAccepted, ...) count both alike.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Observability } from '../lambda/observability';

/** What every ingest request reports; each route adds fields of its own for the log line. */
export interface RequestCounts {
  status: number;
  /** The refusal's stable code, when there was one. */
  code?: string;
  receivedBytes: number;
  accepted: number;
  rejected: number;
  notAccepted: number;
  retryRounds?: number;
  retriedEntries?: number;
}

/**
 * @example
 * recordRequest(deps, 'ingest request', summary);
 */
export function recordRequest(deps: Observability, message: string, summary: RequestCounts): void {
  const { metrics, logger } = deps;
  metrics.addMetric('EventsAccepted', MetricUnit.Count, summary.accepted);
  metrics.addMetric('EventsRejected', MetricUnit.Count, summary.rejected);
  metrics.addMetric('EventsNotAccepted', MetricUnit.Count, summary.notAccepted);
  metrics.addMetric('BytesReceived', MetricUnit.Bytes, summary.receivedBytes);
  metrics.addMetric('PutRecordsRetries', MetricUnit.Count, summary.retryRounds ?? 0);
  metrics.addMetric('PutRecordsRetriedEntries', MetricUnit.Count, summary.retriedEntries ?? 0);
  if (summary.status === 401) metrics.addMetric('RequestsUnauthorized', MetricUnit.Count, 1);
  if (summary.code === 'KEY_STORE_UNAVAILABLE') metrics.addMetric('KeyStoreUnavailable', MetricUnit.Count, 1);
  const level = summary.status >= 500 ? 'error' : summary.status >= 400 ? 'warn' : 'info';
  logger[level](message, { ...summary });
}
