/**
 * The consumer's one write: a set of event rows plus the per-shard checkpoints, in a single statement
 * (so a single implicit transaction and a single round trip). The rows travel as one JSON parameter
 * through `jsonb_to_recordset` with fixed SQL text: the fastest of the shapes measured here (see
 * docs/architecture.md), no statement text that grows with the batch, and idempotent by
 * `ON CONFLICT DO NOTHING`. The same statement keeps the per-minute rollups.
 */
import type { ShardCheckpoint } from './checkpoints';
import type { Queryable } from './queryable';

/** One `telemetry_events` row, as `jsonb_to_recordset` reads it (keys are the column names). */
export interface EventRow {
  /** Whose event it is (migrations/003): part of the idempotency key. */
  tenant: string;
  event_id: string;
  source: string;
  type: string;
  event_time: string;
  duration_ms: number | null;
  payload: Record<string, unknown>;
  shard_id: string;
  /** Decimal string of up to 129 digits (56 in practice): compare as BigInt, store as numeric. */
  sequence_number: string;
  arrival_time: string;
  received_at: string;
}

export interface WriteResult {
  /** Rows inserted; the rest of the rows were already there (duplicates skipped). */
  written: number;
}

// Data-modifying CTEs always run to completion, so the rollups and the checkpoint upsert commit with
// the rows or not at all. The rollups count only what `inserted` returns: the rows this statement
// really added, never a duplicate the conflict skipped (migrations/002: the expressions, the
// buckets; the rows go in key order, so two lanes updating the same minutes take their row locks in
// one order). The idempotency key is (tenant, event_id, event_time): ids are unique per tenant, and
// the table is partitioned by event_time, which the record carries from ingest on, so a retry,
// resend or replay lands in the same partition. The upsert only moves forward (the WHERE on DO UPDATE): a retried or concurrent older
// batch (parallelizationFactor > 1) cannot move a shard's checkpoint back. This is the only
// checkpoint write: advancing checkpoints alone is this statement with no rows
// (lib/db/checkpoints.ts). `inserted` returns the error flag, not the payload: a CTE keeps what it
// returns until the statement ends. The rollup rows are given in the table's column order, tenant
// last (migrations/003 added it), and the recordset's columns are declared in the insert's order:
// both keep the text short, which ships in every database function.
export const WRITE_EVENTS_SQL = `
WITH inserted AS (
  INSERT INTO telemetry_events
    (tenant, event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    tenant text, event_id uuid, source text, type text, event_time timestamptz, duration_ms double precision,
    payload jsonb, shard_id text, sequence_number numeric, arrival_time timestamptz, received_at timestamptz)
  ON CONFLICT (tenant, event_id, event_time) DO NOTHING
  RETURNING tenant, source, type, event_time, duration_ms, telemetry_is_error(type, payload) AS is_error
), rolled_up AS (
  INSERT INTO telemetry_rollup_minute AS m
  SELECT source, type, date_trunc('minute', event_time), count(*),
         count(*) FILTER (WHERE is_error),
         count(duration_ms), coalesce(sum(duration_ms), 0), min(duration_ms), max(duration_ms),
         telemetry_bucket_counts(coalesce(
           array_agg(width_bucket(duration_ms, telemetry_duration_bounds())) FILTER (WHERE duration_ms IS NOT NULL),
           '{}')), tenant
  FROM inserted
  GROUP BY 11, 1, 2, 3
  ORDER BY 11, 1, 2, 3
  ON CONFLICT (tenant, source, type, minute) DO UPDATE SET
    events = m.events + EXCLUDED.events,
    errors = m.errors + EXCLUDED.errors,
    duration_count = m.duration_count + EXCLUDED.duration_count,
    duration_sum = m.duration_sum + EXCLUDED.duration_sum,
    duration_min = least(m.duration_min, EXCLUDED.duration_min),
    duration_max = greatest(m.duration_max, EXCLUDED.duration_max),
    duration_buckets = telemetry_add_buckets(m.duration_buckets, EXCLUDED.duration_buckets)
), checkpointed AS (
  INSERT INTO shard_checkpoints AS c (stream_arn, shard_id, sequence_number, arrival_time)
  SELECT stream_arn, shard_id, sequence_number, arrival_time
  FROM jsonb_to_recordset($2::jsonb) AS p(stream_arn text, shard_id text, sequence_number numeric, arrival_time timestamptz)
  ON CONFLICT (stream_arn, shard_id) DO UPDATE
    SET sequence_number = EXCLUDED.sequence_number, arrival_time = EXCLUDED.arrival_time, updated_at = now()
    WHERE EXCLUDED.sequence_number > c.sequence_number
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS written`;

/**
 * Writes the rows and advances the checkpoints in one statement. Throws the driver's error unchanged
 * (callers classify it with `classifyDatabaseError`).
 *
 * @param checkpoints at most one per (stream, shard): Postgres refuses to upsert one row twice in a statement.
 * @example
 * const { written } = await writeEvents(db, rows, [{ stream_arn, shard_id, sequence_number, arrival_time }]);
 * const duplicates = rows.length - written;
 */
export async function writeEvents(
  db: Queryable,
  rows: readonly EventRow[],
  checkpoints: readonly ShardCheckpoint[],
): Promise<WriteResult> {
  const result = await db.query<{ written: number }>(
    WRITE_EVENTS_SQL,
    [JSON.stringify(rows), JSON.stringify(checkpoints)],
    { idempotent: true },
  );
  return { written: result.rows[0]?.written ?? 0 };
}
