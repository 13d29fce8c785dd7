-- Events written by the consumer, read by the status endpoint. event_id is the idempotency key:
-- a record re-put by a retry or a replay carries the same event_id and is skipped on conflict.
CREATE TABLE telemetry_events (
  event_id         uuid PRIMARY KEY,
  source           text        NOT NULL,
  type             text        NOT NULL,
  event_time       timestamptz NOT NULL,
  duration_ms      double precision,
  payload          jsonb       NOT NULL,
  shard_id         text        NOT NULL,
  sequence_number  numeric(40) NOT NULL,
  arrival_time     timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  ingested_at      timestamptz NOT NULL DEFAULT now()
);

-- Time-range queries, overall and per source (the seed's "shuffle through all invocations").
CREATE INDEX telemetry_events_event_time_idx ON telemetry_events USING brin (event_time);
CREATE INDEX telemetry_events_source_time_idx ON telemetry_events (source, event_time);

-- Per-shard progress: the highest sequence number committed for each shard of each stream, written
-- in the same transaction as the rows, so processing can resume per shard after a trigger is re-created.
CREATE TABLE shard_checkpoints (
  stream_arn       text        NOT NULL,
  shard_id         text        NOT NULL,
  sequence_number  numeric(40) NOT NULL,
  arrival_time     timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_arn, shard_id)
);
