/**
 * Storage at scale (migrations/002, lib/maintain): events partitioned by their own timestamp, the
 * idempotency that survives it, the maintenance (create ahead, drop past retention, concurrent runs,
 * the default partition, lock waits bounded), the per-minute rollups under duplicates and replays,
 * and the upgrade of a populated unpartitioned table. Real Postgres, a fresh database per test.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations, MIGRATIONS_DIR } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import { writeEvents, type EventRow } from '../../lib/db/writeEvents';
import type { PartitionSettings } from '../../lib/maintain/config';
import { maintainPartitions } from '../../lib/maintain/maintainPartitions';
import { findStoredEvent } from '../../lib/status/storedEvent';
import { freshDatabase } from '../helpers/local';

const DAY_MS = 86_400_000;
const DAILY: PartitionSettings = { interval: 'day', retentionDays: 30, ahead: 7, lookbackDays: 7 };
/** Midnight UTC today: partition boundaries fall here. */
const TODAY = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);

let sequence = 1n;
function row(overrides: Partial<EventRow> & { event_time: string }): EventRow {
  sequence += 1n;
  return {
    tenant: 'test',
    event_id: randomUUID(),
    source: 'checkout',
    type: 'invocation',
    duration_ms: null,
    payload: {},
    shard_id: 'shardId-000000000000',
    sequence_number: sequence.toString(),
    arrival_time: new Date().toISOString(),
    received_at: new Date().toISOString(),
    ...overrides,
  };
}

async function withDatabase(
  use: (db: Client, url: string) => Promise<void>,
  migrate: (db: Client) => Promise<unknown> = (db) => applyMigrations(db),
): Promise<void> {
  const fresh = await freshDatabase();
  const db = new Client({ connectionString: fresh.url });
  await db.connect();
  try {
    await migrate(db);
    await use(db, fresh.url);
  } finally {
    await db.end();
    await fresh.drop();
  }
}

/** writeEvents passes query options a plain pg client would take for a callback. */
const q = (db: Client): Queryable => ({ query: (text, values) => db.query(text, values) });

async function partitionOf(db: Client, eventId: string): Promise<string[]> {
  const { rows } = await db.query<{ part: string }>(
    'SELECT tableoid::regclass::text AS part FROM telemetry_events WHERE event_id = $1',
    [eventId],
  );
  return rows.map((r) => r.part);
}

const dayName = (at: Date): string => `telemetry_events_p${at.toISOString().slice(0, 10).replaceAll('-', '')}`;

describe('the partition key and the idempotency that survives it', () => {
  it('stores an event replayed a day later, at a partition boundary, once, in the partition of its own timestamp', async () => {
    await withDatabase(async (db) => {
      await maintainPartitions(db, DAILY);
      const lastMs = new Date(TODAY.getTime() - 1).toISOString();
      const first = row({ event_time: lastMs });
      expect(await writeEvents(q(db), [first], [])).toEqual({ written: 1 });
      // The replay: the same record data, re-put a day later (a new arrival, a new sequence number).
      const nextDay = new Date(TODAY.getTime() + DAY_MS).toISOString();
      const replayed = { ...first, arrival_time: nextDay, sequence_number: '999' };
      expect(await writeEvents(q(db), [replayed], [])).toEqual({ written: 0 });
      expect(await partitionOf(db, first.event_id)).toEqual([dayName(new Date(TODAY.getTime() - DAY_MS))]);

      const midnight = row({ event_time: TODAY.toISOString() });
      await writeEvents(q(db), [midnight], []);
      expect(await partitionOf(db, midnight.event_id)).toEqual([dayName(TODAY)]);
    });
  });

  it('stores an item a client resends after a 503 (same eventId and timestamp, a new request) once', async () => {
    await withDatabase(async (db) => {
      await maintainPartitions(db, DAILY);
      const sent = row({ event_time: new Date(TODAY.getTime() + 3_600_000).toISOString() });
      await writeEvents(q(db), [sent], []);
      const resent = {
        ...sent,
        received_at: new Date(Date.now() + DAY_MS).toISOString(),
        arrival_time: new Date(Date.now() + DAY_MS).toISOString(),
      };
      expect(await writeEvents(q(db), [resent], [])).toEqual({ written: 0 });
      const { rows } = await db.query('SELECT 1 FROM telemetry_events WHERE event_id = $1', [sent.event_id]);
      expect(rows).toHaveLength(1);
      // And the status lookup, by tenant and id, finds it whatever partition holds it.
      expect(await findStoredEvent(q(db), sent.tenant, sent.event_id)).toMatchObject({
        event: { eventId: sent.event_id },
      });
    });
  });
});

describe('maintenance', () => {
  it('creates partitions ahead and back (both tables), is idempotent, and drops what is past the retention', async () => {
    await withDatabase(async (db) => {
      const first = await maintainPartitions(db, DAILY);
      // 7 days back, today, 7 days ahead: per table.
      expect(first.partitions).toEqual({ events: 15, rollups: 15 });
      expect(first.created).toContain(dayName(TODAY));
      expect(first.created).toContain(dayName(new Date(TODAY.getTime() + 7 * DAY_MS)));
      expect(first.created).toContain(dayName(new Date(TODAY.getTime() - 7 * DAY_MS)));
      expect(first).toMatchObject({ dropped: [], skipped: [], defaultRows: { events: 0, rollups: 0 } });

      expect(await maintainPartitions(db, DAILY)).toMatchObject({ created: [], dropped: [] });

      const old = row({ event_time: new Date(TODAY.getTime() - 6 * DAY_MS).toISOString() });
      await writeEvents(q(db), [old], []);
      // Forty days on, with a 30-day retention: the oldest partitions (and the event) are gone.
      const later = await maintainPartitions(db, DAILY, new Date(Date.now() + 40 * DAY_MS));
      expect(later.dropped).toContain(dayName(new Date(TODAY.getTime() - 6 * DAY_MS)));
      expect(later.dropped).toContain(
        dayName(new Date(TODAY.getTime() - 6 * DAY_MS)).replace('events', 'rollup_minute'),
      );
      expect(await partitionOf(db, old.event_id)).toEqual([]);
      expect((await db.query('SELECT 1 FROM telemetry_rollup_minute WHERE minute < $1', [TODAY])).rows).toEqual([]);
    });
  });

  it('weekly partitions start on Monday (UTC) and do not overlap the daily ones already there', async () => {
    await withDatabase(async (db) => {
      await maintainPartitions(db, DAILY);
      const weekly = await maintainPartitions(db, { interval: 'week', retentionDays: 90, ahead: 4, lookbackDays: 7 });
      const { rows } = await db.query<{ range_start: Date; range_end: Date }>(
        "SELECT range_start, range_end FROM telemetry_partitions('telemetry_events') ORDER BY range_start",
      );
      for (const [i, current] of rows.entries()) {
        const previous = rows[i - 1];
        if (previous) expect(current.range_start.getTime()).toBeGreaterThanOrEqual(previous.range_end.getTime());
      }
      const weeks = rows.filter((r) => r.range_end.getTime() - r.range_start.getTime() === 7 * DAY_MS);
      expect(weeks.length).toBeGreaterThan(0);
      for (const week of weeks) expect(week.range_start.getUTCDay()).toBe(1);
      expect(weekly.skipped).toEqual([]);
    });
  });

  it('runs concurrently without error, each partition created once', async () => {
    await withDatabase(async (_db, url) => {
      const others = await Promise.all(
        [0, 1, 2].map(async () => {
          const client = new Client({ connectionString: url });
          await client.connect();
          return client;
        }),
      );
      try {
        const reports = await Promise.all(others.map((client) => maintainPartitions(client, DAILY)));
        const created = reports.flatMap((r) => r.created);
        expect(new Set(created).size).toBe(created.length);
        expect(created).toHaveLength(30);
      } finally {
        await Promise.all(others.map((client) => client.end()));
      }
    });
  });

  it('counts rows no partition covers, and moves them into a partition created for them later', async () => {
    await withDatabase(async (db) => {
      await maintainPartitions(db, DAILY);
      const future = row({ event_time: '2100-01-01T12:00:00Z', duration_ms: 5 });
      await writeEvents(q(db), [future], []);
      expect(await partitionOf(db, future.event_id)).toEqual(['telemetry_events_default']);
      expect((await maintainPartitions(db, DAILY)).defaultRows).toEqual({ events: 1, rollups: 1 });

      await db.query("SELECT telemetry_ensure_partition('telemetry_events', '2100-01-01', '2100-01-02')");
      expect(await partitionOf(db, future.event_id)).toEqual(['telemetry_events_p21000101']);
      // Still one event: the dedup holds in its new partition.
      expect(await writeEvents(q(db), [future], [])).toEqual({ written: 0 });
    });
  });

  it('never waits more than a moment for a table lock a writer holds: the step is skipped for the next run', async () => {
    await withDatabase(async (db, url) => {
      await maintainPartitions(db, DAILY);
      const writer = new Client({ connectionString: url });
      await writer.connect();
      try {
        // A write in progress (an open transaction) on a partition the maintenance wants to drop.
        const doomed = new Date(TODAY.getTime() - 7 * DAY_MS);
        await writer.query('BEGIN');
        // What an INSERT into that partition holds until it commits.
        await writer.query(`LOCK TABLE ${dayName(doomed)} IN ROW EXCLUSIVE MODE`);
        const report = await maintainPartitions(db, DAILY, new Date(Date.now() + 31 * DAY_MS));
        // Only that step: the other partitions were dropped and created as usual.
        expect(report.skipped).toEqual([`drop ${dayName(doomed)}`]);
        expect(report.dropped.length).toBeGreaterThan(0);
        await writer.query('COMMIT');
        // Once the writer is done, the next run drops it.
        const next = await maintainPartitions(db, DAILY, new Date(Date.now() + 31 * DAY_MS));
        expect(next.dropped).toContain(dayName(doomed));
      } finally {
        await writer.end();
      }
    });
  });
});

describe('per-minute rollups', () => {
  it('count each event once under duplicates and replays, with errors, duration sum, min, max and buckets', async () => {
    await withDatabase(async (db) => {
      await maintainPartitions(db, DAILY);
      const minute = new Date(TODAY.getTime() + 10 * 60_000);
      const at = (seconds: number) => new Date(minute.getTime() + seconds * 1000).toISOString();
      const rows = [
        row({ event_time: at(1), duration_ms: 0.5 }),
        row({ event_time: at(2), duration_ms: 3 }),
        row({ event_time: at(3), duration_ms: 3, type: 'error' }),
        row({ event_time: at(4), duration_ms: 120, payload: { status: { code: 2 } } }),
        row({ event_time: at(5), duration_ms: 75_000, payload: { level: 'ERROR' } }),
        row({ event_time: at(6), payload: { error: { message: 'boom' } } }),
        row({ event_time: at(7), payload: { error: null, severityNumber: 9 } }),
        row({ event_time: at(8), payload: { severityNumber: 17 } }),
      ];
      await writeEvents(q(db), rows, []);
      // A retried batch, part of it again with more, and a replay a day later: only the new row counts.
      const extra = row({ event_time: at(9), duration_ms: 10 });
      await writeEvents(q(db), [...rows.slice(2), extra], []);
      await writeEvents(
        q(db),
        rows.map((r) => ({ ...r, arrival_time: new Date(Date.now() + DAY_MS).toISOString() })),
        [],
      );

      const { rows: rollups } = await db.query(
        'SELECT source, type, minute, events, errors, duration_count, duration_sum, duration_min, duration_max, duration_buckets FROM telemetry_rollup_minute ORDER BY type',
      );
      const buckets = (indexes: number[]) =>
        Array.from({ length: 16 }, (_, k) => String(indexes.filter((i) => i === k).length));
      expect(rollups).toEqual([
        {
          source: 'checkout',
          type: 'error',
          minute,
          events: '1',
          errors: '1',
          duration_count: '1',
          duration_sum: 3,
          duration_min: 3,
          duration_max: 3,
          duration_buckets: buckets([2]),
        },
        {
          source: 'checkout',
          type: 'invocation',
          minute,
          events: '8',
          // status code 2, level ERROR, an error field, severity 17; not a null error or severity 9.
          errors: '4',
          duration_count: '5',
          duration_sum: 0.5 + 3 + 120 + 75_000 + 10,
          duration_min: 0.5,
          duration_max: 75_000,
          // 0.5 < 1; 3 in [2.5, 5); 120 in [100, 250); 75,000 >= 60,000; 10 in [10, 25).
          duration_buckets: buckets([0, 2, 7, 15, 4]),
        },
      ]);
    });
  });
});

describe('upgrading a populated unpartitioned table', () => {
  it('keeps every row, puts them in daily partitions, keeps the dedup and rolls them up', async () => {
    const only001 = await mkdtemp(path.join(os.tmpdir(), 'migrations-001-'));
    await copyFile(
      path.join(MIGRATIONS_DIR, '001_telemetry_events.sql'),
      path.join(only001, '001_telemetry_events.sql'),
    );
    try {
      await withDatabase(
        async (db) => {
          // 3,000 rows over the last 10 days, and one from two years ago (outside what gets a partition).
          // Rows from before tenants: the upgrade files them under the default tenant (migrations/003).
          const rows = Array.from({ length: 3_000 }, (_, i) =>
            row({
              tenant: 'default',
              event_time: new Date(Date.now() - (i % 10) * DAY_MS - i * 1000).toISOString(),
              duration_ms: i % 50,
            }),
          );
          const ancient = row({ tenant: 'default', event_time: new Date(Date.now() - 730 * DAY_MS).toISOString() });
          const insert = `INSERT INTO telemetry_events (event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
            SELECT event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at
            FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, source text, type text, event_time timestamptz, duration_ms double precision,
              payload jsonb, shard_id text, sequence_number numeric, arrival_time timestamptz, received_at timestamptz)`;
          await db.query(insert, [JSON.stringify([...rows, ancient])]);

          expect(await applyMigrations(db)).toEqual(['002_time_partitions.sql', '003_tenants.sql']);

          const { rows: counts } = await db.query<{ n: number; parts: number }>(
            `SELECT count(*)::int AS n, count(DISTINCT tableoid)::int AS parts FROM telemetry_events`,
          );
          const days = new Set(rows.map((r) => r.event_time.slice(0, 10)));
          // A daily partition per day the rows cover, and the default partition for the ancient one.
          expect(counts[0]).toEqual({ n: 3_001, parts: days.size + 1 });
          expect(await partitionOf(db, ancient.event_id)).toEqual(['telemetry_events_default']);
          const sample = rows[1234] as EventRow;
          expect(await partitionOf(db, sample.event_id)).toEqual([dayName(new Date(sample.event_time))]);
          expect(await writeEvents(q(db), [...rows, ancient], [])).toEqual({ written: 0 });
          const { rows: rolled } = await db.query<{ events: number }>(
            'SELECT sum(events)::int AS events FROM telemetry_rollup_minute',
          );
          expect(rolled[0]?.events).toBe(3_001);
        },
        (db) => applyMigrations(db, only001),
      );
    } finally {
      await rm(only001, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('upgrading to tenants (migrations/003)', () => {
  it('files every existing event and rollup under the default tenant, and makes ids unique per tenant', async () => {
    const before003 = await mkdtemp(path.join(os.tmpdir(), 'migrations-002-'));
    for (const name of ['001_telemetry_events.sql', '002_time_partitions.sql'])
      await copyFile(path.join(MIGRATIONS_DIR, name), path.join(before003, name));
    try {
      await withDatabase(
        async (db) => {
          await maintainPartitions(db, DAILY);
          const rows = Array.from({ length: 500 }, (_, i) =>
            row({ event_time: new Date(TODAY.getTime() + i * 1000).toISOString(), duration_ms: i % 40 }),
          );
          // What the consumer wrote before 003: no tenant column, rollups by (source, type, minute).
          await db.query(
            `INSERT INTO telemetry_events (event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
             SELECT event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at
             FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, source text, type text, event_time timestamptz,
               duration_ms double precision, payload jsonb, shard_id text, sequence_number numeric, arrival_time timestamptz, received_at timestamptz)`,
            [JSON.stringify(rows)],
          );
          await db.query(
            `INSERT INTO telemetry_rollup_minute
             SELECT source, type, date_trunc('minute', event_time), count(*), 0, count(duration_ms), sum(duration_ms),
                    min(duration_ms), max(duration_ms), telemetry_bucket_counts(array_agg(width_bucket(duration_ms, telemetry_duration_bounds())))
             FROM telemetry_events GROUP BY 1, 2, 3`,
          );

          expect(await applyMigrations(db)).toEqual(['003_tenants.sql']);

          const { rows: tenants } = await db.query<{ table: string; tenant: string; n: number }>(
            `SELECT 'events' AS table, tenant, count(*)::int AS n FROM telemetry_events GROUP BY tenant
             UNION ALL SELECT 'rollups', tenant, sum(events)::int FROM telemetry_rollup_minute GROUP BY tenant`,
          );
          expect(tenants).toEqual([
            { table: 'events', tenant: 'default', n: 500 },
            { table: 'rollups', tenant: 'default', n: 500 },
          ]);
          const sample = rows[123] as EventRow;
          // The default tenant's keys (imported from the old hash list) still find the old events.
          expect(await findStoredEvent(q(db), 'default', sample.event_id)).toMatchObject({
            event: { eventId: sample.event_id },
            previousId: (rows[122] as EventRow).event_id,
            nextId: (rows[124] as EventRow).event_id,
          });
          expect(await findStoredEvent(q(db), 'acme', sample.event_id)).toBeUndefined();
          // A resend under the default tenant is still a duplicate; the same id under another tenant is not.
          expect(await writeEvents(q(db), [{ ...sample, tenant: 'default' }], [])).toEqual({ written: 0 });
          expect(await writeEvents(q(db), [{ ...sample, tenant: 'acme' }], [])).toEqual({ written: 1 });
          // The rollups go on by tenant.
          const { rows: rolled } = await db.query<{ tenant: string; events: number }>(
            'SELECT tenant, sum(events)::int AS events FROM telemetry_rollup_minute GROUP BY tenant ORDER BY tenant',
          );
          expect(rolled).toEqual([
            { tenant: 'acme', events: 1 },
            { tenant: 'default', events: 500 },
          ]);
          // No default any more: a writer that forgets the tenant fails instead of filing under `default`.
          await expect(
            db.query(
              `INSERT INTO telemetry_events (event_id, source, type, event_time, payload, shard_id, sequence_number, arrival_time, received_at)
               VALUES (gen_random_uuid(), 's', 't', now(), '{}', 'x', 1, now(), now())`,
            ),
          ).rejects.toMatchObject({ code: '23502' });
          // New partitions made after the upgrade have the column, the key and the query index.
          await maintainPartitions(db, { ...DAILY, ahead: 9 });
          const { rows: indexes } = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%(tenant, source, event_time, event_id)%'`,
            [dayName(new Date(TODAY.getTime() + 9 * DAY_MS))],
          );
          expect(indexes[0]?.n).toBe(1);
        },
        (db) => applyMigrations(db, before003),
      );
    } finally {
      await rm(before003, { recursive: true, force: true });
    }
  }, 60_000);
});
