/**
 * Keeps the time partitions of `telemetry_events` and `telemetry_rollup_minute` (migrations/002):
 * creates them ahead, drops those past the retention, clears the default partitions of rows past it,
 * and counts what the default partitions hold (rows no partition covered: a metric and an alarm).
 *
 * Each step is one SQL statement and one transaction (the functions of migrations/002), so a table
 * lock is held for one partition at a time, and waited for at most 1 s: the consumer's writes are
 * never held up for longer than that, and a step that cannot get its lock is skipped for the next
 * run. Idempotent (a partition that exists is not created again, one that is gone is not dropped
 * again) and safe to run concurrently (steps are serialized by an advisory lock).
 */
import type { Queryable } from '../db/queryable';
import type { PartitionSettings } from './config';

const PARTITIONED_TABLES = ['telemetry_events', 'telemetry_rollup_minute'] as const;
/** Fixed statements, one per table: no SQL text is built from values. */
const DELETE_EXPIRED_DEFAULT_ROWS: Record<(typeof PARTITIONED_TABLES)[number], string> = {
  telemetry_events: 'DELETE FROM telemetry_events_default WHERE event_time < $1',
  telemetry_rollup_minute: 'DELETE FROM telemetry_rollup_minute_default WHERE minute < $1',
};
const DAY_MS = 86_400_000;

export interface MaintenanceReport {
  created: string[];
  dropped: string[];
  /** Steps that could not get their lock within 1 s (the next run does them). */
  skipped: string[];
  /** Rows deleted from the default partitions because they are past the retention. */
  expiredDefaultRows: number;
  /** Rows in the default partitions now (events and rollups): telemetry no partition covers. */
  defaultRows: { events: number; rollups: number };
  partitions: { events: number; rollups: number };
}

function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string }).code === '55P03';
}

/**
 * @param db any connection (a plain pg client too: the migrate function runs this on its own).
 * @example
 * const report = await maintainPartitions(db, { interval: 'day', retentionDays: 365, ahead: 7, lookbackDays: 7 });
 */
export async function maintainPartitions(
  db: Queryable,
  settings: PartitionSettings,
  now: Date = new Date(),
): Promise<MaintenanceReport> {
  const report: MaintenanceReport = {
    created: [],
    dropped: [],
    skipped: [],
    expiredDefaultRows: 0,
    defaultRows: { events: 0, rollups: 0 },
    partitions: { events: 0, rollups: 0 },
  };
  const cutoff = new Date(now.getTime() - settings.retentionDays * DAY_MS);
  const from = new Date(now.getTime() - settings.lookbackDays * DAY_MS);
  const { rows: wanted } = await db.query<{ range_start: Date; range_end: Date }>(
    `SELECT range_start, range_end
     FROM telemetry_wanted_ranges($1::text, $2::timestamptz, $3::timestamptz + ($4::text || ' ' || $1::text)::interval)
     WHERE range_end > $5::timestamptz`,
    [settings.interval, from.toISOString(), now.toISOString(), String(settings.ahead), cutoff.toISOString()],
  );
  for (const table of PARTITIONED_TABLES) {
    for (const range of wanted) {
      try {
        const { rows } = await db.query<{ name: string | null }>(
          'SELECT telemetry_ensure_partition($1::regclass, $2, $3) AS name',
          [table, range.range_start, range.range_end],
        );
        if (rows[0]?.name) report.created.push(rows[0].name);
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        report.skipped.push(`create ${table} ${range.range_start.toISOString()}`);
      }
    }
    const { rows: expired } = await db.query<{ name: string }>(
      'SELECT name FROM telemetry_partitions($1::regclass) WHERE range_end <= $2 ORDER BY range_start',
      [table, cutoff.toISOString()],
    );
    for (const { name } of expired) {
      try {
        const { rows } = await db.query<{ dropped: boolean }>(
          'SELECT telemetry_drop_partition($1::regclass, $2) AS dropped',
          [table, name],
        );
        if (rows[0]?.dropped) report.dropped.push(name);
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        report.skipped.push(`drop ${name}`);
      }
    }
    // Row deletes take no table lock: the consumer keeps writing meanwhile.
    const deleted = await db.query(DELETE_EXPIRED_DEFAULT_ROWS[table], [cutoff.toISOString()]);
    report.expiredDefaultRows += deleted.rowCount ?? 0;
  }
  const { rows: counts } = await db.query<{
    events: string;
    rollups: string;
    event_parts: string;
    rollup_parts: string;
  }>(
    `SELECT (SELECT count(*) FROM telemetry_events_default) AS events,
            (SELECT count(*) FROM telemetry_rollup_minute_default) AS rollups,
            (SELECT count(*) FROM telemetry_partitions('telemetry_events')) AS event_parts,
            (SELECT count(*) FROM telemetry_partitions('telemetry_rollup_minute')) AS rollup_parts`,
  );
  const row = counts[0];
  report.defaultRows = { events: Number(row?.events ?? 0), rollups: Number(row?.rollups ?? 0) };
  report.partitions = { events: Number(row?.event_parts ?? 0), rollups: Number(row?.rollup_parts ?? 0) };
  return report;
}
