/**
 * The one place Powertools' Logger (structured JSON logs) and Metrics (CloudWatch embedded metric
 * format) are built, so every function logs and measures the same way. Environment variables
 * (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`,
 * `POWERTOOLS_METRICS_DISABLED`) win over the defaults given here, so a stage can turn them.
 */
import { Logger, LogLevel } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { optionalString, type Env } from '../config';
import { ConfigError } from '../errors';

type Level = NonNullable<NonNullable<ConstructorParameters<typeof Logger>[0]>['logLevel']>;
const LEVELS = new Set<string>(Object.values(LogLevel));

export const DEFAULT_METRICS_NAMESPACE = 'TelemetryPipeline';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/**
 * @param serviceName the function's name, used when `POWERTOOLS_SERVICE_NAME` is unset.
 * @param env where the Powertools variables are read (a test passes `{ POWERTOOLS_LOG_LEVEL: 'SILENT' }`).
 * @example
 * const { logger, metrics } = createObservability('ingest');
 * metrics.addMetric('EventsAccepted', MetricUnit.Count, 3);
 * metrics.publishStoredMetrics(); // once per invocation, by lambdaHandler
 */
export function createObservability(serviceName: string, env: Env = process.env): Observability {
  const service = optionalString(env, 'POWERTOOLS_SERVICE_NAME') ?? serviceName;
  const namespace = optionalString(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? DEFAULT_METRICS_NAMESPACE;
  const logLevel = optionalString(env, 'POWERTOOLS_LOG_LEVEL')?.toUpperCase();
  if (logLevel !== undefined && !LEVELS.has(logLevel)) {
    throw new ConfigError(
      `POWERTOOLS_LOG_LEVEL must be one of ${[...LEVELS].join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  return {
    logger: new Logger({ serviceName: service, ...(logLevel ? { logLevel: logLevel as Level } : {}) }),
    metrics: new Metrics({ serviceName: service, namespace }),
  };
}
