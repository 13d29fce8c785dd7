-- Tenants: every event and every rollup belongs to the tenant of the API key it was sent with
-- (lib/auth). Rows stored before this migration belong to the tenant `default`, which is also the
-- tenant the key-store import gives the keys of the old hash list (`npm run keys -- import-legacy`),
-- so the clients that sent them keep seeing them.
--
-- Event ids are unique per tenant, not globally: the primary key becomes (tenant, event_id,
-- event_time). Otherwise one tenant could take another's event ids (client-chosen, or read off a
-- log) and have the other's events dropped as duplicates.
--
-- Adding the columns is instant (a constant default is stored once, not written to every row); the
-- new primary key and query index are built over every partition, which takes a lock that makes the
-- consumer's writes wait (they time out and Lambda retries them: nothing is lost) for as long as the
-- build runs: README.md, "Upgrading to tenants", gives the time per size.

ALTER TABLE telemetry_events ADD COLUMN tenant text NOT NULL DEFAULT 'default';
-- No default from now on: a writer that forgot the tenant must fail, not file events under `default`.
ALTER TABLE telemetry_events ALTER COLUMN tenant DROP DEFAULT;

ALTER TABLE telemetry_events DROP CONSTRAINT telemetry_events_pkey;
ALTER TABLE telemetry_events ADD PRIMARY KEY (tenant, event_id, event_time);

-- The query API's index (lib/status/queryEvents.ts): one tenant's source, in (event_time, event_id)
-- order, the keyset its cursors page through both ways; also the previous/next event of a source.
DROP INDEX telemetry_events_source_time_idx;
CREATE INDEX telemetry_events_tenant_source_time_idx ON telemetry_events (tenant, source, event_time, event_id);

ALTER TABLE telemetry_rollup_minute ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE telemetry_rollup_minute ALTER COLUMN tenant DROP DEFAULT;
ALTER TABLE telemetry_rollup_minute DROP CONSTRAINT telemetry_rollup_minute_pkey;
ALTER TABLE telemetry_rollup_minute ADD PRIMARY KEY (tenant, source, type, minute);

-- The stats API (lib/status/stats.ts) adds up the per-minute duration histograms into coarser ones.
CREATE AGGREGATE telemetry_sum_buckets(bigint[]) (SFUNC = telemetry_add_buckets, STYPE = bigint[], INITCOND = '{}');
