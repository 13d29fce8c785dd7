/**
 * The replay function (manual invoke) in the one handler shape (lib/lambda/lambdaHandler.ts):
 * `serverless invoke -f replay --stage prod --data '{"dryRun":true}'` drains the DLQ. The other
 * operation, the fill from checkpoints, is the `fill` function (lib/replay/fillFunction.ts): it needs
 * the database, which a drain never touches (lib/replay/request.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { integer, readAwsConfig, requiredString } from '../config';
import { DEFAULT_PUT_CONCURRENCY } from '../kinesis/putConcurrently';
import { invocationDeadline } from '../lambda/deadline';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import type { Observability } from '../lambda/observability';
import { replayDeps } from './deps';
import { replayQueue, type ReplayDeps, type ReplayReport } from './replayQueue';
import { parseDrainRequest, SAFETY_MARGIN_MS } from './request';

interface ReplayFunctionDeps {
  queueUrl: string;
  drain: ReplayDeps;
}

function recordDrain({ metrics, logger }: Observability, report: ReplayReport): void {
  metrics.addMetric('ReplayMessages', MetricUnit.Count, report.messagesSeen);
  metrics.addMetric('ReplayMessagesReplayed', MetricUnit.Count, report.replayed);
  metrics.addMetric('ReplayRecordsReplayed', MetricUnit.Count, report.recordsReplayed);
  metrics.addMetric('ReplayMessagesExpired', MetricUnit.Count, report.expired);
  metrics.addMetric('ReplayRecordsLostToRetention', MetricUnit.Count, report.recordsLostToRetention);
  metrics.addMetric('ReplayRecordsFromBucket', MetricUnit.Count, report.recordsFrom.s3);
  metrics.addMetric('ReplayRecordsReRead', MetricUnit.Count, report.recordsFrom.reRead);
  metrics.addMetric('ReplayMessagesFailed', MetricUnit.Count, report.failed + report.unreadable);
  metrics.addMetric('ReplayDuration', MetricUnit.Milliseconds, report.durationMs);
  const { problems, ...counts } = report;
  const level = report.failed + report.unreadable > 0 ? 'warn' : 'info';
  logger[level]('replay drained the dead-letter queue', {
    ...counts,
    problems: problems.slice(0, 50),
    moreProblems: Math.max(0, problems.length - 50),
  });
}

export const replayFunction: FunctionDefinition<unknown, ReplayReport, ReplayFunctionDeps> = {
  service: 'replay',
  build: (env, clients) => ({
    queueUrl: requiredString(env, 'DLQ_URL'),
    drain: replayDeps(readAwsConfig(env), clients, integer(env, 'PUT_CONCURRENCY', DEFAULT_PUT_CONCURRENCY, 1, 64)),
  }),
  handle: async (event, context, deps, observability) => {
    const { operation: _operation, ...drain } = parseDrainRequest(event);
    const deadline = invocationDeadline(context, SAFETY_MARGIN_MS);
    const report = await replayQueue(deps.drain, { ...drain, queueUrl: deps.queueUrl, deadline });
    recordDrain(observability, report);
    return report;
  },
};
