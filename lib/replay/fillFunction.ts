/**
 * The fill function (manual invoke) in the one handler shape (lib/lambda/lambdaHandler.ts):
 * `serverless invoke -f fill --stage prod --data '{"dryRun":true}'` reads each shard from the
 * consumer's checkpoint to now and writes through the consumer's path (lib/replay/request.ts says
 * which fields a fill honours; any other is refused).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isPlainObject } from '../errors';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { fillSetup, type FillSetup } from './fillDeps';
import { fillFromCheckpoints, type FillReport } from './fillFromCheckpoints';
import { parseReplayRequest, ReplayRequestError } from './request';
import { SAFETY_MARGIN_MS } from './replayFunction';

export const fillFunction: FunctionDefinition<unknown, FillReport, FillSetup> = {
  service: 'fill',
  build: fillSetup,
  handle: async (event, context, setup, { metrics, logger }) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
    // This function only fills: `fromCheckpoints` may be given, and is implied.
    const request = parseReplayRequest(
      isPlainObject(event) ? { fromCheckpoints: true, ...event } : (event ?? { fromCheckpoints: true }),
    );
    if (request.operation !== 'fill') throw new ReplayRequestError('the fill function only fills: a drain runs in the replay function');
    const { operation: _operation, ...fill } = request;
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
