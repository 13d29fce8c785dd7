/**
 * Tenants against real Postgres (and kinesalite for ingest): one tenant never sees another's events,
 * by id, by query or by stats; cursors are bound to the tenant and tamper-evident; a body cannot
 * choose its tenant; ids are unique per tenant; keys never reach logs or answers.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Client } from 'pg';
import { KeyStore } from '../../lib/auth/keyStore';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import { writeEvents, type EventRow } from '../../lib/db/writeEvents';
import { handleIngest } from '../../lib/ingest/handleIngest';
import { createObservability } from '../../lib/lambda/observability';
import { handleStatus, type StatusDeps } from '../../lib/status/handleStatus';
import { microsecondsFromMs } from '../../lib/status/microseconds';
import { queryEvents, windowStart } from '../../lib/status/queryEvents';
import { decodeEvent } from '../../lib/telemetry/event';
import { getTelemetryQuery, getTelemetryStatus, postTelemetry } from '../helpers/apiEvent';
import { captureOutput } from '../helpers/captureOutput';
import { ingestDeps } from '../helpers/ingestDeps';
import { keyRecord, TEST_CURSOR_SECRET, testKeyStore } from '../helpers/keys';
import { createStream, freshDatabase, readAllRecords, testKinesis } from '../helpers/local';

const KEY_A = 'tp_tenant-a-key-0000000000000000000000000000000';
const KEY_B = 'tp_tenant-b-key-1111111111111111111111111111111';
const A = { 'x-api-key': KEY_A };
const B = { 'x-api-key': KEY_B };
const SHARED_ID = '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e';
const WINDOW = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };

let db: { url: string; drop: () => Promise<void> };
let admin: Client;
let connection: DatabaseConnection;

/** Counts the statements a request sends, to show that two answers took the same path. */
function counting(inner: Queryable): Queryable & { statements: number } {
  const wrapper = {
    statements: 0,
    query: ((text: string, values?: unknown[], options?: object) => {
      wrapper.statements += 1;
      return inner.query(text, values, options);
    }) as Queryable['query'],
  };
  return wrapper;
}

function deps(db: Queryable = connection): StatusDeps {
  return {
    ...createObservability('tenants-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
    db,
    keys: testKeyStore([
      { key: KEY_A, tenant: 'acme' },
      { key: KEY_B, tenant: 'globex' },
    ]),
    cursorSecret: async () => Buffer.from(TEST_CURSOR_SECRET),
  };
}

function body<T = Record<string, unknown>>(answer: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(answer.body ?? '') as T;
}

let sequence = 100n;
function row(tenant: string, overrides: Partial<EventRow> = {}): EventRow {
  sequence += 1n;
  return {
    tenant,
    event_id: randomUUID(),
    source: 'checkout',
    type: 'invocation',
    event_time: '2026-01-01T12:00:00.000Z',
    duration_ms: 10,
    payload: { tenantSecret: `${tenant}-only` },
    shard_id: 'shardId-000000000000',
    sequence_number: sequence.toString(),
    arrival_time: '2026-01-01T12:00:01.000Z',
    received_at: '2026-01-01T12:00:00.500Z',
    ...overrides,
  };
}

beforeAll(async () => {
  db = await freshDatabase();
  admin = new Client({ connectionString: db.url });
  await admin.connect();
  await applyMigrations(admin);
  connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }), {
    applicationName: 'tenants-test',
  });
  // The same id in both tenants (a client-chosen id, or one read off a log): both events are kept.
  await writeEvents(connection, [row('acme', { event_id: SHARED_ID, payload: { who: 'acme' } })], []);
  await writeEvents(connection, [row('globex', { event_id: SHARED_ID, payload: { who: 'globex' } })], []);
  // Sources only globex has, and events of a source both have.
  await writeEvents(
    connection,
    Array.from({ length: 30 }, (_, i) =>
      row('globex', {
        source: 'globex-only',
        event_time: new Date(Date.UTC(2026, 0, 1, 6, 0, i)).toISOString(),
        duration_ms: 100 + i,
      }),
    ),
    [],
  );
  await writeEvents(
    connection,
    Array.from({ length: 5 }, (_, i) =>
      row('acme', { event_time: new Date(Date.UTC(2026, 0, 1, 7, 0, i)).toISOString() }),
    ),
    [],
  );
});

afterAll(async () => {
  await connection.close();
  await admin.end();
  await db.drop();
});

describe('event ids are unique per tenant', () => {
  it('keeps both tenants’ events with one id, and each key reads its own', async () => {
    const { rows } = await admin.query<{ tenant: string }>(
      'SELECT tenant FROM telemetry_events WHERE event_id = $1 ORDER BY tenant',
      [SHARED_ID],
    );
    expect(rows.map((r) => r.tenant)).toEqual(['acme', 'globex']);
    const a = body<{ event: { payload: unknown } }>(await handleStatus(getTelemetryStatus(SHARED_ID, A), deps()));
    const b = body<{ event: { payload: unknown } }>(await handleStatus(getTelemetryStatus(SHARED_ID, B), deps()));
    expect([a.event.payload, b.event.payload]).toEqual([{ who: 'acme' }, { who: 'globex' }]);
  });
});

describe('key A cannot read B’s data', () => {
  it('by id: another tenant’s event gets exactly the answer an unknown id gets, by the same statements', async () => {
    const [onlyB] = (
      await admin.query<{ id: string }>(
        "SELECT event_id::text AS id FROM telemetry_events WHERE tenant = 'globex' AND source = 'globex-only' LIMIT 1",
      )
    ).rows as [{ id: string }];
    const unknown = randomUUID();
    const other = counting(connection);
    const missing = counting(connection);
    const asOther = await handleStatus(getTelemetryStatus(onlyB.id, A), deps(other));
    const asMissing = await handleStatus(getTelemetryStatus(unknown, A), deps(missing));
    expect(asOther.statusCode).toBe(202);
    expect({ ...asOther, body: undefined }).toEqual({ ...asMissing, body: undefined });
    expect(body(asOther)).toEqual({ status: 'pending', eventId: onlyB.id });
    expect(body(asMissing)).toEqual({ status: 'pending', eventId: unknown });
    expect([other.statements, missing.statements]).toEqual([1, 1]);
    // and B itself finds it (one lookup, one for the neighbours)
    const own = counting(connection);
    expect((await handleStatus(getTelemetryStatus(onlyB.id, B), deps(own))).statusCode).toBe(200);
    expect(own.statements).toBe(2);
  });

  it('by query: A listing B’s source gets an empty page; B gets its 30 events', async () => {
    const asA = body<{ events: unknown[] }>(
      await handleStatus(getTelemetryQuery({ source: 'globex-only', ...WINDOW }, A), deps()),
    );
    expect(asA.events).toEqual([]);
    const asB = body<{ events: { payload: { tenantSecret: string } }[] }>(
      await handleStatus(getTelemetryQuery({ source: 'globex-only', ...WINDOW }, B), deps()),
    );
    expect(asB.events).toHaveLength(30);
    expect(new Set(asB.events.map((e) => e.payload.tenantSecret))).toEqual(new Set(['globex-only']));
    // on the shared source name, each sees only its own
    const shared = body<{ events: { payload: { tenantSecret?: string; who?: string } }[] }>(
      await handleStatus(getTelemetryQuery({ source: 'checkout', ...WINDOW }, A), deps()),
    );
    expect(shared.events.length).toBe(6);
    expect(shared.events.every((e) => e.payload.tenantSecret === 'acme-only' || e.payload.who === 'acme')).toBe(true);
  });

  it('by stats: A gets no points for B’s source; B gets its counts', async () => {
    const asA = body<{ points: unknown[] }>(
      await handleStatus(getTelemetryQuery({ source: 'globex-only', ...WINDOW }, A, '/telemetry/stats'), deps()),
    );
    expect(asA.points).toEqual([]);
    const asB = body<{ points: { events: number }[] }>(
      await handleStatus(
        getTelemetryQuery({ source: 'globex-only', ...WINDOW, interval: 'hour' }, B, '/telemetry/stats'),
        deps(),
      ),
    );
    expect(asB.points.map((p) => p.events)).toEqual([30]);
  });
});

describe('page size', () => {
  it('cuts a page at its payload byte budget (always one event), and says there is more', async () => {
    const query = {
      source: 'globex-only',
      type: null,
      fromUs: microsecondsFromMs(Date.parse(WINDOW.from)),
      toUs: microsecondsFromMs(Date.parse(WINDOW.to)),
    };
    const bytes = Buffer.byteLength(JSON.stringify({ tenantSecret: 'globex-only' }).replace(':', ': '));
    const full = await queryEvents(connection, 'globex', query, windowStart(query), 100);
    expect({ rows: full.rows.length, more: full.more }).toEqual({ rows: 30, more: false });
    const cut = await queryEvents(connection, 'globex', query, windowStart(query), 100, bytes * 4);
    expect({ rows: cut.rows.length, more: cut.more }).toEqual({ rows: 4, more: true });
    expect(cut.rows.map((r) => r.event_id)).toEqual(full.rows.slice(0, 4).map((r) => r.event_id));
    const one = await queryEvents(connection, 'globex', query, windowStart(query), 100, 1);
    expect({ rows: one.rows.length, more: one.more }).toEqual({ rows: 1, more: true });
    // Going back from the end, the cut keeps the events nearest the position.
    const last = full.rows[29] as { time_us: string; event_id: string };
    const back = await queryEvents(
      connection,
      'globex',
      query,
      { direction: 'before', timeUs: last.time_us, eventId: last.event_id },
      100,
      bytes * 4,
    );
    expect(back.rows.map((r) => r.event_id)).toEqual(full.rows.slice(25, 29).map((r) => r.event_id));
    expect(back.more).toBe(true);
  });
});

describe('cursors', () => {
  async function firstPage(headers: Record<string, string>, source: string) {
    return body<{ page: { next: string | null } }>(
      await handleStatus(getTelemetryQuery({ source, ...WINDOW, limit: '10' }, headers), deps()),
    );
  }

  it('refuses another tenant’s cursor as INVALID_CURSOR', async () => {
    const { page } = await firstPage(B, 'globex-only');
    expect(page.next).toEqual(expect.any(String));
    const stolen = await handleStatus(getTelemetryQuery({ cursor: page.next as string }, A), deps());
    expect({ status: stolen.statusCode, code: body(stolen).code }).toEqual({ status: 400, code: 'INVALID_CURSOR' });
    const own = await handleStatus(getTelemetryQuery({ cursor: page.next as string, limit: '10' }, B), deps());
    expect(body<{ events: unknown[] }>(own).events).toHaveLength(10);
  });

  it('refuses a cursor edited by hand (body changed and re-encoded, a character flipped, the MAC cut)', async () => {
    const { page } = await firstPage(B, 'globex-only');
    const cursor = page.next as string;
    const [payload, mac] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...decoded, s: 'checkout' })).toString('base64url');
    const flipped = `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}`;
    for (const edited of [`${widened}.${mac}`, flipped, payload, `${payload}.`, 'x'.repeat(3000), '']) {
      const answer = await handleStatus(getTelemetryQuery({ cursor: edited }, B), deps());
      expect({ edited: edited.slice(0, 20), status: answer.statusCode, code: body(answer).code }).toEqual({
        edited: edited.slice(0, 20),
        status: 400,
        code: 'INVALID_CURSOR',
      });
    }
  });

  it('refuses a cursor with a different query beside it (CURSOR_MISMATCH), and takes the same one repeated', async () => {
    const { page } = await firstPage(B, 'globex-only');
    const cursor = page.next as string;
    const changed = await handleStatus(getTelemetryQuery({ cursor, source: 'checkout' }, B), deps());
    expect({ status: changed.statusCode, code: body(changed).code, parameter: body(changed).parameter }).toEqual({
      status: 400,
      code: 'CURSOR_MISMATCH',
      parameter: 'source',
    });
    const repeated = await handleStatus(getTelemetryQuery({ cursor, source: 'globex-only', ...WINDOW }, B), deps());
    expect(repeated.statusCode).toBe(200);
  });
});

describe('ingest takes the tenant from the key, never from the body', () => {
  it('files an event claiming another tenant under the sender’s, the claim kept only as payload', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 1);
    const ingest = ingestDeps(kinesis, stream, { apiKeys: [{ key: KEY_A, tenant: 'acme' }] });
    const answer = await handleIngest(
      postTelemetry({
        headers: { ...A, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'checkout', tenant: 'globex', timestamp: '2026-01-01T12:00:00Z' }),
      }),
      Date.now() + 5_000,
      ingest,
    );
    expect(answer.statusCode).toBe(202);
    const [record] = await readAllRecords(kinesis, stream);
    const decoded = decodeEvent(record?.Data ?? new Uint8Array());
    expect(decoded).toMatchObject({ ok: true, event: { tenant: 'acme', payload: { tenant: 'globex' } } });
    expect(record?.PartitionKey).toBe('acme/checkout');
    kinesis.destroy();
  });

  it('derives the same ids for a resend with another key of the same tenant, other ids for another tenant', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 1);
    const ingest = ingestDeps(kinesis, stream, {
      apiKeys: [
        { key: 'old-key-of-acme', tenant: 'acme' },
        { key: 'new-key-of-acme', tenant: 'acme' },
        { key: KEY_B, tenant: 'globex' },
      ],
    });
    const send = async (key: string) =>
      body<{ eventIds: string[] }>(
        await handleIngest(
          postTelemetry({
            headers: { 'x-api-key': key, 'content-type': 'application/json', 'idempotency-key': 'upload-42' },
            body: JSON.stringify([{ source: 'a', timestamp: '2026-01-01T00:00:00Z' }]),
          }),
          Date.now() + 5_000,
          ingest,
        ),
      ).eventIds;
    const [old, rotated, other] = [await send('old-key-of-acme'), await send('new-key-of-acme'), await send(KEY_B)];
    expect(rotated).toEqual(old);
    expect(other).not.toEqual(old);
    kinesis.destroy();
  });
});

describe('keys never reach logs or answers', () => {
  it('logs the key id, never the key or its hash, whatever the outcome', async () => {
    const lines: string[] = [];
    captureOutput(lines);
    const expired = {
      key: 'tp_expired-key-22222222222222222222222222222',
      tenant: 'acme',
      expiresAt: '2020-01-01T00:00:00Z',
    };
    const records = [keyRecord({ key: KEY_A, tenant: 'acme', id: 'key_0000000000aa' }), keyRecord(expired)];
    let failing = false;
    const start = Date.now();
    let clock = start;
    // A refresh is due after 1 s; a failing store is ridden out until the set is 2 s old.
    const keys = new KeyStore(
      async () => {
        if (failing) throw new Error('SSM is down');
        return records;
      },
      { refreshMs: 1_000, staleLimitMs: 2_000, retryMs: 0 },
      createObservability('tenants-log', { POWERTOOLS_LOG_LEVEL: 'INFO' }).logger,
      () => clock,
    );
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 1);
    const observed = { ...createObservability('tenants-log', { POWERTOOLS_LOG_LEVEL: 'INFO' }) };
    const ingest = { ...ingestDeps(kinesis, stream, { apiKeys: [] }), ...observed, keys };
    const answers: string[] = [];
    try {
      const post = (key: string, text: string) =>
        handleIngest(
          postTelemetry({ headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: text }),
          Date.now() + 5_000,
          ingest,
        );
      answers.push((await post(KEY_A, '{"source":"a","timestamp":"2026-01-01T00:00:00Z"}')).body ?? '');
      answers.push((await post(KEY_A, '{not json')).body ?? '');
      answers.push((await post(KEY_B, '{}')).body ?? '');
      answers.push((await post(expired.key, '{}')).body ?? '');
      failing = true;
      clock = start + 1_500;
      answers.push((await post(KEY_A, '{"source":"a","timestamp":"2026-01-01T00:00:00Z"}')).body ?? '');
      clock = start + 2_500;
      answers.push((await post(KEY_A, '{}')).body ?? '');
    } finally {
      jest.restoreAllMocks();
      kinesis.destroy();
    }
    const logged = lines.join('');
    expect(logged).toContain('key_0000000000aa');
    expect(logged).toContain('API key store refresh failed: keeping the last good set');
    expect(logged).toContain('older than its stale limit');
    expect(answers.map((a) => JSON.parse(a).code)).toEqual([
      undefined,
      'INVALID_BODY',
      'UNAUTHORIZED',
      'KEY_EXPIRED',
      undefined, // the refresh failed, the set is 1.5 s old: still used
      'KEY_STORE_UNAVAILABLE', // 2.5 s old, past the stale limit: nobody gets in
    ]);
    for (const secret of [KEY_A, KEY_B, expired.key, ...records.map((r) => r.hash)]) {
      expect(logged).not.toContain(secret);
      for (const answer of answers) expect(answer).not.toContain(secret);
    }
  });
});
