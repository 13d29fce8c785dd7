-- Events written by the consumer, read by the status endpoint. event_id is the idempotency key:
-- a record re-put by a retry or a replay carries the same event_id and is skipped on conflict.
-- The primary key is also the status endpoint's lookup index (GET /telemetry/{eventId}).
CREATE TABLE telemetry_events (
  event_id         uuid PRIMARY KEY,
  source           text        NOT NULL,
  type             text        NOT NULL,
  event_time       timestamptz NOT NULL,
  duration_ms      double precision,
  payload          jsonb       NOT NULL,
  -- Where the record was on the stream: enough to find it again in the shard while retention lasts.
  shard_id         text        NOT NULL,
  -- Kinesis sequence numbers are decimal strings of up to 129 digits (56 in practice): numeric, not bigint.
  sequence_number  numeric NOT NULL,
  -- Kinesis' approximate arrival time; arrival_time -> ingested_at is the pipeline's lag per row.
  arrival_time     timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  ingested_at      timestamptz NOT NULL DEFAULT now()
);

-- Time-range queries, overall and per source (the seed's "shuffle through all invocations").
-- A btree rather than BRIN: event_time is the client's clock, and late or buffered telemetry
-- arrives out of order, which would widen every BRIN range until it pruned nothing.
CREATE INDEX telemetry_events_event_time_idx ON telemetry_events (event_time);
CREATE INDEX telemetry_events_source_time_idx ON telemetry_events (source, event_time);

-- Per-shard progress: the highest sequence number committed for each shard of each stream, written
-- in the same statement as the rows, so processing can resume per shard after a trigger is re-created
-- (an event source mapping can only restart from one timestamp for all shards). Only moves forward.
CREATE TABLE shard_checkpoints (
  stream_arn       text        NOT NULL,
  shard_id         text        NOT NULL,
  sequence_number  numeric NOT NULL,
  arrival_time     timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_arn, shard_id)
);
