/**
 * The one place Powertools' Logger (structured JSON logs) and Metrics (CloudWatch embedded metric
 * format) are built, so every function logs and measures the same way. Environment variables
 * (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`,
 * `POWERTOOLS_METRICS_DISABLED`) still win over the defaults given here, so a stage can turn them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { optionalString, type Env } from '../config';

export const DEFAULT_METRICS_NAMESPACE = 'TelemetryPipeline';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export interface ObservabilityOptions {
  /** Default service name (the function's), used when `POWERTOOLS_SERVICE_NAME` is unset. */
  serviceName: string;
  /** Default namespace, used when `POWERTOOLS_METRICS_NAMESPACE` is unset. */
  namespace?: string;
  /** Tests pass true: no log lines (metrics are only written when published, which tests do not do). */
  silent?: boolean;
}

/**
 * @example
 * const { logger, metrics } = createObservability({ serviceName: 'ingest' });
 * metrics.addMetric('EventsAccepted', MetricUnit.Count, 3);
 * metrics.publishStoredMetrics(); // once per invocation, in the handler
 */
export function createObservability(options: ObservabilityOptions, env: Env = process.env): Observability {
  const serviceName = optionalString(env, 'POWERTOOLS_SERVICE_NAME') ?? options.serviceName;
  const namespace = optionalString(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? options.namespace ?? DEFAULT_METRICS_NAMESPACE;
  return {
    logger: new Logger({ serviceName, ...(options.silent ? { logLevel: 'SILENT' as const } : {}) }),
    metrics: new Metrics({ serviceName, namespace }),
  };
}
