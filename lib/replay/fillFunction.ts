/**
 * The fill function (manual invoke) in the one handler shape (lib/lambda/lambdaHandler.ts):
 * `serverless invoke -f fill --stage prod --data '{"dryRun":true}'` reads each shard from the
 * consumer's checkpoint to now and writes through the consumer's path (lib/replay/request.ts says
 * which fields a fill honours; any other is refused).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { invocationDeadline } from '../lambda/deadline';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { fillSetup, type FillSetup } from './fillDeps';
import { fillFromCheckpoints, type FillReport } from './fillFromCheckpoints';
import { parseFillRequest, SAFETY_MARGIN_MS } from './request';

export const fillFunction: FunctionDefinition<unknown, FillReport, FillSetup> = {
  service: 'fill',
  build: fillSetup,
  handle: async (event, context, setup, { metrics, logger }) => {
    const { operation: _operation, ...fill } = parseFillRequest(event);
    const deadline = invocationDeadline(context, SAFETY_MARGIN_MS);
    const report = await fillFromCheckpoints(setup.deps, { ...setup.target, ...fill, deadline });
    metrics.addMetric(
      'FillRecordsRead',
      MetricUnit.Count,
      report.shards.reduce((n, shard) => n + shard.read, 0),
    );
    metrics.addMetric(
      'FillShardsIncomplete',
      MetricUnit.Count,
      report.shards.filter((shard) => shard.incomplete).length,
    );
    metrics.addMetric('FillDuration', MetricUnit.Milliseconds, report.durationMs);
    logger.info('filled from checkpoints', { ...report });
    return report;
  },
};
