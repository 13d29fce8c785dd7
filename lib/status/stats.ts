/**
 * The per-minute rollups (migrations/002, kept by the consumer's write) of one tenant's source,
 * added up per minute, hour or day: counts, errors, and duration summaries with percentiles
 * estimated from the rollups' histograms (lib/status/percentiles.ts).
 */
import type { Queryable } from '../db/queryable';

export type StatsInterval = 'minute' | 'hour' | 'day';

export interface StatsRow {
  bucket_start: Date;
  events: number;
  errors: number;
  duration_count: number;
  duration_sum: number;
  duration_min: number | null;
  duration_max: number | null;
  /** Counts per duration bucket (telemetry_duration_bounds()), as bigint text. */
  duration_buckets: string[];
}

// Fixed text; the interval is a parameter of date_trunc (UTC). The rollups' primary key
// (tenant, source, type, minute) serves it; the window prunes partitions.
const SELECT_STATS = `SELECT date_trunc($4, minute AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket_start,
    sum(events)::float8 AS events, sum(errors)::float8 AS errors,
    sum(duration_count)::float8 AS duration_count, sum(duration_sum)::float8 AS duration_sum,
    min(duration_min) AS duration_min, max(duration_max) AS duration_max,
    telemetry_sum_buckets(duration_buckets)::text[] AS duration_buckets
  FROM telemetry_rollup_minute
  WHERE tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
    AND minute >= $5::timestamptz AND minute < $6::timestamptz
  GROUP BY 1 ORDER BY 1`;

/**
 * @param from - aligned to `interval` (the caller aligns): rollups are per minute.
 * @example
 * const rows = await readStats(db, 'acme', { source: 'checkout', type: null, interval: 'hour', from, to });
 */
export async function readStats(
  db: Queryable,
  tenant: string,
  request: { source: string; type: string | null; interval: StatsInterval; from: Date; to: Date },
): Promise<StatsRow[]> {
  const { rows } = await db.query<StatsRow>(
    SELECT_STATS,
    [tenant, request.source, request.type, request.interval, request.from.toISOString(), request.to.toISOString()],
    { idempotent: true },
  );
  return rows;
}
