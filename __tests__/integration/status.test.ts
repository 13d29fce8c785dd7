import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { applyMigrations } from '../../lib/db/migrate';
import { ConfigError } from '../../lib/errors';
import { createObservability } from '../../lib/lambda/observability';
import { readStatusConfig } from '../../lib/status/config';
import { cursorSecretLoader } from '../../lib/status/cursorSecret';
import { handleStatus, type StatusDeps } from '../../lib/status/handleStatus';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import type { StoredEvent } from '../../lib/status/storedEvent';
import { freePort } from '../../local/src/services';
import { apiEvent, getTelemetryQuery, getTelemetryStatus, lambdaContext } from '../helpers/apiEvent';
import { seedKeyStore, TEST_CURSOR_SECRET, testKeyStore } from '../helpers/keys';
import { freshDatabase, testSsm } from '../helpers/local';

const API_KEY = 'status-test-key';
const KEY_HEADERS = { 'x-api-key': API_KEY };
const STORED_ID = '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e';
const TENANT = 'acme';

let db: { url: string; drop: () => Promise<void> };
let admin: Client;
const opened: DatabaseConnection[] = [];

function open(url = db.url): DatabaseConnection {
  const client = new DatabaseConnection(
    readDatabaseConfig({ DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT_MS: '2000' }),
    { applicationName: 'telemetry-status' },
  );
  opened.push(client);
  return client;
}

function deps(client: DatabaseConnection): StatusDeps {
  return {
    ...createObservability('status-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
    db: client,
    keys: testKeyStore([{ key: API_KEY, tenant: TENANT }]),
    cursorSecret: async () => Buffer.from(TEST_CURSOR_SECRET),
  };
}

function parse<T>(answer: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(answer.body ?? '') as T;
}

beforeAll(async () => {
  db = await freshDatabase();
  admin = new Client({ connectionString: db.url });
  await admin.connect();
  await applyMigrations(admin);
  // a row as the consumer writes it (migrations/003)
  await admin.query(
    `INSERT INTO telemetry_events (tenant, event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
     VALUES ('acme', $1, 'checkout-fn', 'invocation', '2024-05-01T12:00:00.123Z', 12.5, $2, 'shardId-000000000000', 49601189658422359378836298521827638475320189012309704722,
             '2024-05-01T12:00:01Z', '2024-05-01T12:00:00.900Z')`,
    [STORED_ID, JSON.stringify({ coldStart: true, memory: { mb: 512 } })],
  );
});

afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await admin.end();
  await db.drop();
});

describe('GET /telemetry/{eventId} (real Postgres)', () => {
  it('answers 200 with the stored event', async () => {
    const answer = await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), deps(open()));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(parse<{ status: string; event: StoredEvent }>(answer)).toEqual({
      status: 'stored',
      event: {
        eventId: STORED_ID,
        source: 'checkout-fn',
        type: 'invocation',
        timestamp: '2024-05-01T12:00:00.123Z',
        durationMs: 12.5,
        payload: { coldStart: true, memory: { mb: 512 } },
        receivedAt: '2024-05-01T12:00:00.900Z',
        ingestedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
      links: { previous: null, next: null },
    });
  });

  it('finds an event whatever the case of the id', async () => {
    const answer = await handleStatus(getTelemetryStatus(STORED_ID.toUpperCase(), KEY_HEADERS), deps(open()));
    expect(answer.statusCode).toBe(200);
  });

  it('answers 202 with Retry-After while the event is not stored', async () => {
    const pendingId = '0190b6c2-0000-7000-8000-000000000001';
    const answer = await handleStatus(getTelemetryStatus(pendingId, KEY_HEADERS), deps(open()));
    expect(answer.statusCode).toBe(202);
    expect(answer.headers['retry-after']).toBe('1');
    expect(parse<unknown>(answer)).toEqual({ status: 'pending', eventId: pendingId });
  });

  it.each(['not-a-uuid', '', '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1', `${STORED_ID}' OR '1'='1`])(
    'answers 400 INVALID_EVENT_ID for %j',
    async (id) => {
      const answer = await handleStatus(getTelemetryStatus(id, KEY_HEADERS), deps(open()));
      expect({ status: answer.statusCode, code: parse<{ code: string }>(answer).code }).toEqual({
        status: 400,
        code: 'INVALID_EVENT_ID',
      });
    },
  );

  it('answers 400 when the route gave no id at all', async () => {
    const answer = await handleStatus(
      apiEvent({ method: 'GET', path: '/telemetry/', headers: KEY_HEADERS }),
      deps(open()),
    );
    expect({ status: answer.statusCode, code: parse<{ code: string }>(answer).code }).toEqual({
      status: 400,
      code: 'INVALID_EVENT_ID',
    });
  });

  it('answers 401 without the API key, and does not touch the database', async () => {
    const unreachable = open(`postgres://nobody@127.0.0.1:${await freePort()}/none`);
    const answer = await handleStatus(getTelemetryStatus(STORED_ID, { 'x-api-key': 'wrong' }), deps(unreachable));
    expect({ status: answer.statusCode, code: parse<{ code: string }>(answer).code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After when Postgres cannot be reached (connection refused)', async () => {
    const unreachable = open(`postgres://nobody@127.0.0.1:${await freePort()}/none`);
    const d = deps(unreachable);
    const answer = await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), d);
    expect({ status: answer.statusCode, code: parse<{ code: string }>(answer).code }).toEqual({
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
    });
    expect(answer.headers['retry-after']).toBe('5');
    expect(d.metrics.serializeMetrics()).toMatchObject({ StatusDatabaseErrors: 1 });
  });

  it('answers a query 503 CURSOR_SECRET_UNAVAILABLE when Secrets Manager cannot be reached, and reads still work', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const d = {
      ...deps(open()),
      cursorSecret: cursorSecretLoader(
        { kind: 'secret', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor' },
        () => new SecretsManagerClient({ endpoint: closed, region: 'us-east-1', maxAttempts: 1 }),
      ),
    };
    const answer = await handleStatus(getTelemetryQuery({ source: 'checkout-fn' }, KEY_HEADERS), d);
    expect({ status: answer.statusCode, code: parse<{ code: string }>(answer).code }).toEqual({
      status: 503,
      code: 'CURSOR_SECRET_UNAVAILABLE',
    });
    expect(answer.headers['retry-after']).toBe('5');
    expect((await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), d)).statusCode).toBe(200);
  });

  it('reconnects after its connection is killed', async () => {
    const client = open();
    const d = deps(client);
    expect((await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), d)).statusCode).toBe(200);
    const { rows } = await admin.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'telemetry-status' AND datname = current_database()`,
    );
    expect(rows.length).toBeGreaterThan(0);
    // The first lookup may meet the dead socket (503) or find it already dropped (200); the next one must work.
    const first = await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), d);
    expect([200, 503]).toContain(first.statusCode);
    const second = await handleStatus(getTelemetryStatus(STORED_ID, KEY_HEADERS), d);
    expect(second.statusCode).toBe(200);
  });
});

describe('status config and handler', () => {
  it('reads the database settings, the key store and the cursor secret, failing closed', () => {
    const keys = { API_KEYS_PATH: '/telemetry-pipeline/dev/api-keys/', CURSOR_SECRET_ARN: 'arn:aws:secretsmanager:x' };
    const config = readStatusConfig({ DATABASE_URL: 'postgres://x/y', ...keys });
    expect(config.database).toMatchObject({ tls: { mode: 'disable' } });
    expect(config.keys).toEqual({ path: keys.API_KEYS_PATH, refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 });
    expect(config.cursorSecret).toEqual({ kind: 'secret', secretArn: 'arn:aws:secretsmanager:x' });
    expect(readStatusConfig({ DATABASE_URL: 'postgres://x/y', ...keys, DATABASE_SSL: 'true' }).database).toMatchObject({
      tls: { mode: 'verify-full' },
    });
    expect(() => readStatusConfig(keys)).toThrow(/DATABASE_URL/);
    expect(() => readStatusConfig({ DATABASE_URL: 'postgres://x/y', CURSOR_SECRET: TEST_CURSOR_SECRET })).toThrow(
      /API_KEYS_PATH/,
    );
    expect(() => readStatusConfig({ DATABASE_URL: 'postgres://x/y', API_KEYS_PATH: '/p/' })).toThrow(/CURSOR_SECRET/);
    expect(() =>
      readStatusConfig({ DATABASE_URL: 'postgres://x/y', API_KEYS_PATH: '/p/', CURSOR_SECRET: 'short' }),
    ).toThrow(ConfigError);
    expect(() =>
      readStatusConfig({
        DATABASE_URL: 'postgres://x/y',
        CURSOR_SECRET: TEST_CURSOR_SECRET,
        API_KEYS_PATH: 'no-slashes',
      }),
    ).toThrow(/API_KEYS_PATH/);
  });

  it('serves a lookup through the exported handler, configured from the environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      API_KEYS_PATH: await seedKeyStore(testSsm(), [{ key: API_KEY, tenant: TENANT }]),
      AWS_ENDPOINT_URL_SSM: process.env.TEST_SSM_ENDPOINT,
      CURSOR_SECRET: TEST_CURSOR_SECRET,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    try {
      let loaded: typeof import('../../handlers/status').handler | undefined;
      jest.isolateModules(() => {
        ({ handler: loaded } = require('../../handlers/status') as typeof import('../../handlers/status'));
      });
      if (!loaded) throw new Error('handler did not load');
      const handler = loaded;
      const stored = await handler(getTelemetryStatus(STORED_ID, KEY_HEADERS), lambdaContext());
      expect(stored.statusCode).toBe(200);
      const pending = await handler(
        getTelemetryStatus('0190b6c2-0000-7000-8000-00000000000f', KEY_HEADERS),
        lambdaContext(),
      );
      expect(pending.statusCode).toBe(202);
      // the handler keeps its connection for the container's life: end it so the database can be dropped
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'telemetry-status' AND datname = current_database()`,
      );
    } finally {
      process.env = saved;
    }
  });

  it('fails closed when the configuration is missing', async () => {
    const saved = { ...process.env };
    delete process.env.DATABASE_URL;
    delete process.env.API_KEYS_PATH;
    try {
      let loaded: typeof import('../../handlers/status').handler | undefined;
      jest.isolateModules(() => {
        ({ handler: loaded } = require('../../handlers/status') as typeof import('../../handlers/status'));
      });
      if (!loaded) throw new Error('handler did not load');
      const handler = loaded;
      await expect(handler(getTelemetryStatus(STORED_ID, KEY_HEADERS), lambdaContext())).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringMatching(/DATABASE_URL/),
      });
    } finally {
      process.env = saved;
    }
  });
});
