/**
 * The maintain function in the one handler shape (lib/lambda/lambdaHandler.ts): run on a schedule
 * (EventBridge, hourly) and by hand (`{}`), it keeps the time partitions (maintainPartitions.ts) and
 * reports what it did as metrics: PartitionsCreated, PartitionsDropped, PartitionStepsSkipped and
 * DefaultPartitionRows (rows no partition covers; alarmed on).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readAwsConfig } from '../config';
import { readDatabaseConfig } from '../db/config';
import type { DatabaseConnection } from '../db/connection';
import { createDatabaseConnection } from '../db/createConnection';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { requirePartitionSettings, type PartitionSettings } from './config';
import { maintainPartitions, type MaintenanceReport } from './maintainPartitions';

interface MaintainDeps {
  db: DatabaseConnection;
  settings: PartitionSettings;
}

export const maintainFunction: FunctionDefinition<unknown, MaintenanceReport, MaintainDeps> = {
  service: 'maintain',
  build: (env) => ({
    settings: requirePartitionSettings(env),
    db: createDatabaseConnection(readDatabaseConfig(env), readAwsConfig(env), 'telemetry-maintain'),
  }),
  handle: async (_event, _context, deps, { metrics, logger }) => {
    const report = await maintainPartitions(deps.db, deps.settings);
    metrics.addMetric('PartitionsCreated', MetricUnit.Count, report.created.length);
    metrics.addMetric('PartitionsDropped', MetricUnit.Count, report.dropped.length);
    metrics.addMetric('PartitionStepsSkipped', MetricUnit.Count, report.skipped.length);
    metrics.addMetric('DefaultPartitionRows', MetricUnit.Count, report.defaultRows.events + report.defaultRows.rollups);
    const level = report.skipped.length > 0 || report.defaultRows.events > 0 ? 'warn' : 'info';
    logger[level]('partitions maintained', { ...report });
    return report;
  },
};
