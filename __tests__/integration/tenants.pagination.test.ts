/**
 * `GET /telemetry` pages through a source's 10,000 events forward and back, with no gap and no
 * repeat, while new events of the same source keep arriving (before and after the position being
 * read), on real Postgres with the partitions a deployed stage has.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Client } from 'pg';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import { writeEvents, type EventRow } from '../../lib/db/writeEvents';
import { createObservability } from '../../lib/lambda/observability';
import { maintainPartitions } from '../../lib/maintain/maintainPartitions';
import { handleStatus, type StatusDeps } from '../../lib/status/handleStatus';
import { getTelemetryQuery } from '../helpers/apiEvent';
import { TEST_CURSOR_SECRET, testKeyStore } from '../helpers/keys';
import { freshDatabase } from '../helpers/local';

const KEY = 'tp_pagination-key-000000000000000000000000000';
const EVENTS = 10_000;
const DAY_MS = 86_400_000;
/** Yesterday 00:00 UTC to today 00:00: inside the partitions maintenance keeps. */
const START = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
const WINDOW = { from: new Date(START).toISOString(), to: new Date(START + DAY_MS).toISOString() };

interface Page {
  events: { eventId: string; timestamp: string }[];
  page: { next: string | null; previous: string | null };
}

let db: { url: string; drop: () => Promise<void> };
let connection: DatabaseConnection;
let sequence = 0n;

function row(at: number, source = 'walk'): EventRow {
  sequence += 1n;
  return {
    tenant: 'acme',
    event_id: randomUUID(),
    source,
    type: 'invocation',
    event_time: new Date(at).toISOString(),
    duration_ms: 1,
    payload: {},
    shard_id: 'shardId-000000000000',
    sequence_number: sequence.toString(),
    arrival_time: new Date().toISOString(),
    received_at: new Date().toISOString(),
  };
}

const deps = (): StatusDeps => ({
  ...createObservability('pagination-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
  db: connection,
  keys: testKeyStore([{ key: KEY, tenant: 'acme' }]),
  cursorSecret: async () => Buffer.from(TEST_CURSOR_SECRET),
});

async function page(params: Record<string, string>): Promise<Page> {
  const answer: APIGatewayProxyStructuredResultV2 = await handleStatus(
    getTelemetryQuery(params, { 'x-api-key': KEY }),
    deps(),
  );
  expect(answer.statusCode).toBe(200);
  return JSON.parse(answer.body ?? '') as Page;
}

beforeAll(async () => {
  db = await freshDatabase();
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  await applyMigrations(admin);
  await maintainPartitions(admin, { interval: 'day', retentionDays: 30, ahead: 2, lookbackDays: 3 });
  await admin.end();
  connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }), { applicationName: 'pagination' });
  // Every 8 s over the day, and every fifth one sharing its time with the next (the id breaks the tie).
  const times = Array.from(
    { length: EVENTS },
    (_, i) => START + Math.floor(i / 2) * 16_000 + (i % 5 === 0 ? 0 : 8_000),
  );
  for (let i = 0; i < EVENTS; i += 1000)
    await writeEvents(
      connection,
      times.slice(i, i + 1000).map((at) => row(at)),
      [],
    );
}, 60_000);

afterAll(async () => {
  await connection?.close();
  await db?.drop();
});

function keyOf(event: { eventId: string; timestamp: string }): string {
  return `${event.timestamp}|${event.eventId}`;
}

it('walks 10,000 events forward and back, no gap, no repeat, while new events arrive', async () => {
  const original = new Set<string>();
  {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ id: string }>(
      "SELECT event_id::text AS id FROM telemetry_events WHERE tenant = 'acme' AND source = 'walk'",
    );
    for (const r of rows) original.add(r.id);
    await client.end();
  }
  expect(original.size).toBe(EVENTS);

  // Forward, 100 at a time; after each page, 5 new events of the source land anywhere in the day.
  const forward: { eventId: string; timestamp: string }[] = [];
  const pages: Page[] = [];
  let current = await page({ source: 'walk', ...WINDOW, limit: '100' });
  let arrived = 0;
  for (let n = 0; n < 400; n += 1) {
    pages.push(current);
    forward.push(...current.events);
    await writeEvents(
      connection,
      Array.from({ length: 5 }, () => row(START + Math.floor(Math.random() * DAY_MS))),
      [],
    );
    arrived += 5;
    if (current.page.next === null) break;
    current = await page({ cursor: current.page.next, limit: '100' });
  }
  expect(pages[0]?.page.previous).toBeNull();
  expect(arrived).toBeGreaterThan(500);
  // In keyset order throughout: each event after the one before it.
  const keys = forward.map(keyOf);
  for (let i = 1; i < keys.length; i += 1) expect((keys[i - 1] as string) < (keys[i] as string)).toBe(true);
  // No repeat, and every original event seen once (new ones ahead of the position show up too).
  const seen = forward.map((e) => e.eventId);
  expect(new Set(seen).size).toBe(seen.length);
  const seenSet = new Set(seen);
  expect([...original].filter((id) => !seenSet.has(id))).toEqual([]);

  // Back from the last page to the first, again with arrivals in between.
  const last = pages[pages.length - 1] as Page;
  const backward: { eventId: string; timestamp: string }[] = [...last.events];
  let cursor = last.page.previous;
  for (let n = 0; n < 400 && cursor !== null; n += 1) {
    const before = await page({ cursor, limit: '100' });
    backward.unshift(...before.events);
    await writeEvents(connection, [row(START + Math.floor(Math.random() * DAY_MS))], []);
    cursor = before.page.previous;
  }
  const backKeys = backward.map(keyOf);
  for (let i = 1; i < backKeys.length; i += 1) expect((backKeys[i - 1] as string) < (backKeys[i] as string)).toBe(true);
  const back = backward.map((e) => e.eventId);
  expect(new Set(back).size).toBe(back.length);
  const backSet = new Set(back);
  expect([...original].filter((id) => !backSet.has(id))).toEqual([]);
}, 120_000);
