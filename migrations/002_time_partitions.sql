-- Time partitions for the events, per-minute rollups, and the SQL the maintenance function runs.
--
-- Partitioned by event_time (RANGE, UTC-aligned days, weeks or months): the client's own timestamp,
-- carried in the record from ingest on. A primary key must include the partition key, so the
-- idempotency key becomes (event_id, event_time), and it dedupes exactly when one event_id always
-- comes with one event_time: a retry, a resend (the client sends the same item again) and a replay
-- (the same record data) all do, whatever day they arrive on. Neither the consumer's clock
-- (ingested_at) nor the arrival time could be used: both change on a resend or replay.
--
-- What falls outside every partition lands in telemetry_events_default (the maintenance function
-- reports its rows: a metric and an alarm), never in an error.
--
-- Upgrading: the rows of the unpartitioned table are copied into daily partitions for the days they
-- cover (within a year back and a week ahead; the rest into the default partition), in this one
-- transaction. The table is unavailable to writers while it runs (README.md: the cost per size).

ALTER TABLE telemetry_events RENAME TO telemetry_events_unpartitioned;
ALTER INDEX telemetry_events_pkey RENAME TO telemetry_events_unpartitioned_pkey;
ALTER INDEX telemetry_events_event_time_idx RENAME TO telemetry_events_unpartitioned_event_time_idx;
ALTER INDEX telemetry_events_source_time_idx RENAME TO telemetry_events_unpartitioned_source_time_idx;

CREATE TABLE telemetry_events (
  event_id         uuid        NOT NULL,
  source           text        NOT NULL,
  type             text        NOT NULL,
  event_time       timestamptz NOT NULL,
  duration_ms      double precision,
  payload          jsonb       NOT NULL,
  shard_id         text        NOT NULL,
  sequence_number  numeric     NOT NULL,
  arrival_time     timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  ingested_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, event_time)
) PARTITION BY RANGE (event_time);

-- Per source over time (the seed's "shuffle through all invocations"); pruned to the partitions a
-- time range covers. No index on event_time alone: a time range is the partitions themselves.
CREATE INDEX telemetry_events_source_time_idx ON telemetry_events (source, event_time);

CREATE TABLE telemetry_events_default PARTITION OF telemetry_events DEFAULT;

-- Per minute, per source and type, maintained by the consumer's own statement from the rows it
-- actually inserted (a duplicate skipped by the conflict never counts twice). duration_buckets holds
-- counts per bucket of telemetry_duration_bounds(): bucket 0 is below the first bound, bucket k
-- (1-15) from bound k up to (not including) bound k+1, bucket 15 at or above the last.
CREATE TABLE telemetry_rollup_minute (
  source            text        NOT NULL,
  type              text        NOT NULL,
  minute            timestamptz NOT NULL,
  events            bigint      NOT NULL,
  errors            bigint      NOT NULL,
  duration_count    bigint      NOT NULL,
  duration_sum      double precision NOT NULL,
  duration_min      double precision,
  duration_max      double precision,
  duration_buckets  bigint[]    NOT NULL,
  PRIMARY KEY (source, type, minute)
) PARTITION BY RANGE (minute);

CREATE TABLE telemetry_rollup_minute_default PARTITION OF telemetry_rollup_minute DEFAULT;

-- Milliseconds. Fixed: changing them would make old and new buckets incomparable.
CREATE FUNCTION telemetry_duration_bounds() RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY[1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]::double precision[] $$;

-- Element-wise sum of two bucket arrays (the rollup's ON CONFLICT DO UPDATE).
CREATE FUNCTION telemetry_add_buckets(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, n) $$;

-- Counts per bucket (0-15) of the bucket numbers given (width_bucket over telemetry_duration_bounds()).
CREATE FUNCTION telemetry_bucket_counts(buckets int[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT array_agg((SELECT count(*) FROM unnest(buckets) AS b WHERE b = k) ORDER BY k)
  FROM generate_series(0, array_length(telemetry_duration_bounds(), 1)) AS k
$$;

-- What the rollups count as an error: type 'error'; an OTLP span whose status is ERROR (code 2); an
-- OTLP log at severity ERROR or above (severityNumber >= 17); or a `level` of error/fatal/critical,
-- or an `error` field that is not null or false (the usual shapes of JSON logs and invocation records).
CREATE FUNCTION telemetry_is_error(p_type text, p_payload jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT p_type = 'error'
      OR coalesce(p_payload -> 'status' ->> 'code', '') IN ('2', 'STATUS_CODE_ERROR')
      OR (jsonb_typeof(p_payload -> 'severityNumber') = 'number' AND (p_payload ->> 'severityNumber')::numeric >= 17)
      OR lower(coalesce(p_payload ->> 'level', '')) IN ('error', 'fatal', 'critical')
      OR coalesce(p_payload -> 'error' NOT IN ('null'::jsonb, 'false'::jsonb), false)
$$;

-- The UTC-aligned range of p_interval ('day', 'week' from Monday, 'month') that contains p_at.
CREATE FUNCTION telemetry_partition_range(p_at timestamptz, p_interval text, OUT range_start timestamptz, OUT range_end timestamptz)
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF p_interval NOT IN ('day', 'week', 'month') THEN
    RAISE EXCEPTION 'partition interval must be day, week or month, got %', p_interval;
  END IF;
  range_start := date_trunc(p_interval, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  range_end := (date_trunc(p_interval, p_at AT TIME ZONE 'UTC') + ('1 ' || p_interval)::interval) AT TIME ZONE 'UTC';
END
$$;

-- Every range partition of p_table (telemetry_events or telemetry_rollup_minute), with its bounds.
CREATE FUNCTION telemetry_partitions(p_table regclass)
RETURNS TABLE (name text, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT c.relname::text,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = p_table AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
$$;

-- Creates p_table's partition for [p_start, p_end) unless one overlaps it (then: NULL), and returns
-- its name. Made as a table of its own, filled with the rows the default partition holds for that
-- range (a partition cannot cover rows the default partition holds), then attached: ATTACH takes
-- only a SHARE UPDATE EXCLUSIVE lock on the parent, which writes do not wait for (CREATE TABLE ...
-- PARTITION OF would take ACCESS EXCLUSIVE).
CREATE FUNCTION telemetry_create_partition(p_table regclass, p_start timestamptz, p_end timestamptz)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  parent text := p_table::text;
  part text := parent || '_p' || to_char(p_start AT TIME ZONE 'UTC', 'YYYYMMDD');
  default_part text := parent || '_default';
  column_name text := CASE WHEN parent = 'telemetry_rollup_minute' THEN 'minute' ELSE 'event_time' END;
BEGIN
  IF EXISTS (SELECT 1 FROM telemetry_partitions(p_table) p WHERE p.range_start < p_end AND p.range_end > p_start) THEN
    RETURN NULL;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, parent);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 default_part, column_name, column_name, part) USING p_start, p_end;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, p_start, p_end);
  RETURN part;
END
$$;

-- The maintenance function's steps (lib/maintain/maintainPartitions.ts), one transaction each, so a
-- lock is held only for one partition's statement. Each waits at most 1 s for its table lock: a
-- write queued behind a waiting DDL statement is delayed by no more than that, and a step that cannot
-- get its lock gives up (lock_not_available) for the next run to retry. Concurrent runs are
-- serialized step by step by a transaction-level advisory lock (which also works through a pooler).
CREATE FUNCTION telemetry_maintenance_guard() RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM set_config('lock_timeout', '1000', true);
  PERFORM pg_advisory_xact_lock(hashtext('telemetry_partition_maintenance'));
END
$$;

-- The aligned ranges of p_interval that cover [p_from, p_to].
CREATE FUNCTION telemetry_wanted_ranges(p_interval text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (range_start timestamptz, range_end timestamptz)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  at timestamptz := p_from;
  r record;
BEGIN
  -- Bounded: at most one range per day of the span, and the span is the maintenance window.
  FOR i IN 1..4000 LOOP
    EXIT WHEN at > p_to;
    r := telemetry_partition_range(at, p_interval);
    range_start := r.range_start;
    range_end := r.range_end;
    RETURN NEXT;
    at := r.range_end;
  END LOOP;
END
$$;

CREATE FUNCTION telemetry_ensure_partition(p_table regclass, p_start timestamptz, p_end timestamptz)
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM telemetry_maintenance_guard();
  RETURN telemetry_create_partition(p_table, p_start, p_end);
END
$$;

-- Drops one partition of p_table, named: never another table.
CREATE FUNCTION telemetry_drop_partition(p_table regclass, p_name text)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM telemetry_maintenance_guard();
  IF NOT EXISTS (SELECT 1 FROM telemetry_partitions(p_table) p WHERE p.name = p_name) THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TABLE %I', p_name);
  RETURN true;
END
$$;

-- The upgrade: daily partitions for the days the existing rows have (within a year back and a week
-- ahead: rows outside go to the default partition, which the maintenance reports), then the rows.
DO $$
DECLARE
  day timestamptz;
BEGIN
  FOR day IN
    SELECT DISTINCT (date_trunc('day', event_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
    FROM telemetry_events_unpartitioned
    WHERE event_time >= now() - interval '366 days' AND event_time < now() + interval '7 days'
  LOOP
    PERFORM telemetry_create_partition('telemetry_events', day, day + interval '1 day');
    PERFORM telemetry_create_partition('telemetry_rollup_minute', day, day + interval '1 day');
  END LOOP;
END
$$;

INSERT INTO telemetry_events
  (event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at, ingested_at)
SELECT event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at, ingested_at
FROM telemetry_events_unpartitioned;

DROP TABLE telemetry_events_unpartitioned;

-- The rollups of the rows kept, with the consumer's expressions (lib/db/writeEvents.ts).
INSERT INTO telemetry_rollup_minute
SELECT source, type, date_trunc('minute', event_time), count(*),
       count(*) FILTER (WHERE telemetry_is_error(type, payload)),
       count(duration_ms), coalesce(sum(duration_ms), 0), min(duration_ms), max(duration_ms),
       telemetry_bucket_counts(coalesce(
         array_agg(width_bucket(duration_ms, telemetry_duration_bounds())) FILTER (WHERE duration_ms IS NOT NULL),
         '{}'))
FROM telemetry_events
GROUP BY 1, 2, 3;
