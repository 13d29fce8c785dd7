/**
 * `GET /telemetry/stats?source=&type=&from=&to=&interval=`: one tenant's source over a window, per
 * minute, hour or day (UTC), from the per-minute rollups: events, errors, and durations (count, min,
 * max, mean, p50, p90, p99 estimated from the rollups' histograms).
 *
 * Limits: `from`/`to` ISO 8601 (default the 24 hours up to now), aligned outward to the interval;
 * at most 1,500 intervals per answer (a day by minute, two months by hour, four years by day).
 */
import type { Queryable } from '../db/queryable';
import { jsonAnswer, type HttpAnswer } from '../http/answer';
import { errorAnswer } from '../http/errorAnswer';
import { choiceParam, invalid, type Params, sourceParam, timeParam, typeParam, unknownParameter } from './params';
import { quantile } from './percentiles';
import { readStats, type StatsInterval, type StatsRow } from './stats';

export const MAX_STATS_POINTS = 1500;
const INTERVAL_MS: Readonly<Record<StatsInterval, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const PARAMETERS = ['source', 'type', 'from', 'to', 'interval'] as const;
const DEFAULT_WINDOW_MS = 24 * 3600 * 1000;

function durations(row: StatsRow) {
  const counts = row.duration_buckets.map(Number);
  const { duration_count: count, duration_min: min, duration_max: max } = row;
  return {
    count,
    min,
    max,
    mean: count > 0 ? Math.round((row.duration_sum / count) * 1000) / 1000 : null,
    p50: quantile(counts, 0.5, min, max),
    p90: quantile(counts, 0.9, min, max),
    p99: quantile(counts, 0.99, min, max),
  };
}

/**
 * @example
 * const answer = await handleStats(event.queryStringParameters ?? {}, caller.tenant, { db });
 */
export async function handleStats(
  params: Params,
  tenant: string,
  deps: { db: Queryable; now?: () => number },
): Promise<HttpAnswer> {
  const unknown = unknownParameter(params, PARAMETERS);
  if (unknown) return errorAnswer(unknown.failure);
  const source = sourceParam(params);
  if (!source.ok) return errorAnswer(source.failure);
  const type = typeParam(params);
  if (!type.ok) return errorAnswer(type.failure);
  const interval = choiceParam(params, 'interval', ['minute', 'hour', 'day'] as const, 'minute');
  if (!interval.ok) return errorAnswer(interval.failure);
  const to = timeParam(params, 'to', (deps.now ?? Date.now)());
  if (!to.ok) return errorAnswer(to.failure);
  const from = timeParam(params, 'from', to.value - DEFAULT_WINDOW_MS);
  if (!from.ok) return errorAnswer(from.failure);
  if (from.value >= to.value) return errorAnswer(invalid('from', 'from must be before to').failure);
  const step = INTERVAL_MS[interval.value];
  // UTC days, hours and minutes are whole multiples of these from the epoch (no leap seconds in epoch time).
  const start = Math.floor(from.value / step) * step;
  const end = Math.ceil(to.value / step) * step;
  if ((end - start) / step > MAX_STATS_POINTS)
    return errorAnswer(
      invalid(
        'interval',
        `at most ${MAX_STATS_POINTS} intervals per answer: a coarser interval or a shorter window`,
        'WINDOW_TOO_LARGE',
      ).failure,
    );
  const rows = await readStats(deps.db, tenant, {
    source: source.value,
    type: type.value,
    interval: interval.value,
    from: new Date(start),
    to: new Date(end),
  });
  return jsonAnswer(
    200,
    {
      source: source.value,
      type: type.value,
      interval: interval.value,
      from: new Date(start).toISOString(),
      to: new Date(end).toISOString(),
      // Only intervals with events: an empty one is simply absent.
      points: rows.map((row) => ({
        start: row.bucket_start.toISOString(),
        events: row.events,
        errors: row.errors,
        durationMs: durations(row),
      })),
    },
    { 'cache-control': 'no-store' },
  );
}
