/**
 * How the partitions are kept (the `partitionInterval`, `retentionDays` and `partitionsAhead` stage
 * params), read once; shared by the maintain function, the migrate function (which runs the
 * maintenance right after the migrations, so a new stage has its partitions at once) and the local stack.
 */
import { integer, optionalString, type Env } from '../config';
import { ConfigError } from '../errors';

export type PartitionInterval = 'day' | 'week' | 'month';

export interface PartitionSettings {
  interval: PartitionInterval;
  /** Partitions whose whole range ended more than this many days ago are dropped. */
  retentionDays: number;
  /** Partitions are kept created this many intervals ahead of now. */
  ahead: number;
  /**
   * And this many days back (never past the retention): late telemetry of the last days gets a
   * partition, not the default partition.
   */
  lookbackDays: number;
}

const INTERVALS: readonly string[] = ['day', 'week', 'month'];

/**
 * @returns undefined when PARTITION_INTERVAL is not set (the migrate function of a stage without it).
 * @example
 * readPartitionSettings({ PARTITION_INTERVAL: 'day', RETENTION_DAYS: '365' }); // { interval: 'day', retentionDays: 365, ahead: 7, lookbackDays: 7 }
 */
export function readPartitionSettings(env: Env): PartitionSettings | undefined {
  const interval = optionalString(env, 'PARTITION_INTERVAL');
  if (interval === undefined) return undefined;
  if (!INTERVALS.includes(interval))
    throw new ConfigError(`PARTITION_INTERVAL must be day, week or month, got ${JSON.stringify(interval)}`);
  const retentionDays = integer(env, 'RETENTION_DAYS', 365, 1, 36_500);
  return {
    interval: interval as PartitionInterval,
    retentionDays,
    ahead: integer(env, 'PARTITIONS_AHEAD', 7, 1, 366),
    lookbackDays: Math.min(7, retentionDays),
  };
}

/** The settings a function needs: PARTITION_INTERVAL is required there. */
export function requirePartitionSettings(env: Env): PartitionSettings {
  const settings = readPartitionSettings(env);
  if (!settings) throw new ConfigError('PARTITION_INTERVAL is required but is not set');
  return settings;
}
