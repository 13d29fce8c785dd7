import { Client } from 'pg';
import { freePort } from '../../local/src/services';
import { classifyDatabaseError, describeDatabaseError } from '../../lib/db/classifyError';
import { readDatabaseConfig, type DatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { parseRdsSecret } from '../../lib/db/credentials';
import { applyMigrations } from '../../lib/db/migrate';
import { writeEvents, type EventRow } from '../../lib/db/writeEvents';
import { ConfigError } from '../../lib/errors';
import { freshDatabase } from '../helpers/local';

function configFor(url: string, statementTimeoutMs = 10_000): DatabaseConfig {
  return {
    source: { kind: 'url', url },
    tls: { mode: 'disable' },
    statementTimeoutMs,
    connectTimeoutMs: 5_000,
    pooled: false,
  };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

let db: { url: string; drop: () => Promise<void> };
let connection: DatabaseConnection;

beforeAll(async () => {
  db = await freshDatabase();
  connection = new DatabaseConnection(configFor(db.url));
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await applyMigrations(client);
  await client.end();
});

afterAll(async () => {
  await connection.close();
  await db.drop();
});

describe('classifyDatabaseError, on errors real Postgres raises', () => {
  it.each([
    ['\\u0000 in jsonb', `SELECT '{"a":"\\u0000"}'::jsonb`, 'data', '22P05'],
    ['a timestamp Postgres cannot read', `SELECT 'yesterday-ish'::timestamptz`, 'data', '22007'],
    ['a number out of range', `SELECT 1e50::numeric(40)`, 'data', '22003'],
    ['a missing table (our bug, not the data)', `SELECT * FROM no_such_table`, 'unknown', '42P01'],
  ])('%s', async (_name, sql, kind, code) => {
    const error = await errorOf(connection.query(sql));
    expect((error as { code?: string }).code).toBe(code);
    expect(classifyDatabaseError(error)).toBe(kind);
    expect(describeDatabaseError(error)).toContain(code);
  });

  it('a statement timeout is transient and keeps the connection', async () => {
    const short = new DatabaseConnection(configFor(db.url, 200));
    try {
      const error = await errorOf(short.query('SELECT pg_sleep(2)'));
      expect((error as { code?: string }).code).toBe('57014');
      expect(classifyDatabaseError(error)).toBe('transient');
      await short.query('SELECT 1');
      expect(short.stats.connects).toBe(1);
    } finally {
      await short.close();
    }
  });

  it('connection refused is transient', async () => {
    const port = await freePort();
    const nowhere = new DatabaseConnection(configFor(`postgres://postgres:x@127.0.0.1:${port}/postgres`));
    const error = await errorOf(nowhere.query('SELECT 1'));
    expect(error).toBeDefined();
    expect(classifyDatabaseError(error)).toBe('transient');
  });

  it('socket-level failures are transient; unrecognised ones unknown', () => {
    expect(classifyDatabaseError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyDatabaseError(Object.assign(new Error('sorry, too many clients already'), { code: '53300' }))).toBe(
      'transient',
    );
    expect(
      classifyDatabaseError(Object.assign(new Error('the database system is shutting down'), { code: '57P03' })),
    ).toBe('transient');
    expect(classifyDatabaseError(new TypeError('x is not a function'))).toBe('unknown');
  });
});

describe('DatabaseConnection', () => {
  // nextval is not transactional: the first run of this statement kills its own connection, later runs succeed.
  const KILL_ONCE = `SELECT CASE WHEN nextval('kill_once') = 1 THEN pg_terminate_backend(pg_backend_pid()) ELSE true END AS ok`;

  it('re-runs an idempotent statement once on a fresh connection when the reused one died', async () => {
    await connection.query('CREATE SEQUENCE IF NOT EXISTS kill_once');
    await connection.query(`SELECT setval('kill_once', 1, false)`);
    const before = connection.stats.connects;
    const { rows } = await connection.query<{ ok: boolean }>(KILL_ONCE, [], { idempotent: true });
    expect(rows[0]?.ok).toBe(true);
    expect(connection.stats.connects).toBe(before + 1);
  });

  it('does not re-run a statement that is not marked idempotent, but reconnects for the next one', async () => {
    await connection.query(`SELECT setval('kill_once', 1, false)`);
    const error = await errorOf(connection.query(KILL_ONCE));
    expect(classifyDatabaseError(error)).toBe('transient');
    const { rows } = await connection.query<{ n: number }>('SELECT 1 AS n');
    expect(rows[0]?.n).toBe(1);
  });

  it('reconnects after its idle connection was killed from outside (freeze/thaw, failover)', async () => {
    const { rows } = await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await admin.end();
    const after = await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', [], { idempotent: true });
    expect(after.rows[0]?.pid).not.toBe(rows[0]?.pid);
  });

  it('sends statement_timeout as a connection parameter, not a session SET', async () => {
    const own = new DatabaseConnection(configFor(db.url, 1_234));
    try {
      const { rows } = await own.query<{ setting: string; source: string }>(
        `SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'`,
      );
      expect(rows[0]).toEqual({ setting: '1234', source: 'client' });
    } finally {
      await own.close();
    }
  });

  it('sends no statement_timeout when pooled (pgbouncer refuses it): the role or server setting applies', async () => {
    const own = new DatabaseConnection({ ...configFor(db.url, 1_234), pooled: true });
    try {
      const { rows } = await own.query<{ setting: string; source: string }>(
        `SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'`,
      );
      expect(rows[0]?.source).not.toBe('client');
      expect(rows[0]?.setting).not.toBe('1234');
    } finally {
      await own.close();
    }
  });
});

describe('writeEvents', () => {
  const stream = 'arn:aws:kinesis:us-east-1:000000000000:stream/write-test';
  const big = 2n ** 127n; // sequence numbers go up to 128 bits: far beyond Number.MAX_SAFE_INTEGER

  function row(id: number, sequence: bigint): EventRow {
    return {
      tenant: 'test',
      event_id: `00000000-0000-4000-8000-${id.toString().padStart(12, '0')}`,
      source: 'svc',
      type: 'invocation',
      event_time: '2026-01-01T00:00:00.000Z',
      duration_ms: 12.5,
      payload: { n: id, nested: { ok: true } },
      shard_id: 'shardId-000000000000',
      sequence_number: sequence.toString(),
      arrival_time: '2026-01-01T00:00:01.000Z',
      received_at: '2026-01-01T00:00:00.500Z',
    };
  }

  const checkpoint = (sequence: bigint, arrival: string) => ({
    stream_arn: stream,
    shard_id: 'shardId-000000000000',
    sequence_number: sequence.toString(),
    arrival_time: arrival,
  });

  async function storedCheckpoint(): Promise<{ sequence_number: string; arrival_time: Date } | undefined> {
    const { rows } = await connection.query<{ sequence_number: string; arrival_time: Date }>(
      'SELECT sequence_number::text AS sequence_number, arrival_time FROM shard_checkpoints WHERE stream_arn = $1',
      [stream],
    );
    return rows[0];
  }

  it('inserts rows, skips duplicates, and stores every column', async () => {
    const rows = [row(1, big + 1n), row(2, big + 2n)];
    expect(await writeEvents(connection, rows, [checkpoint(big + 2n, '2026-01-01T00:00:02.000Z')])).toEqual({
      written: 2,
    });
    expect(
      await writeEvents(connection, [...rows, row(3, big + 3n)], [checkpoint(big + 3n, '2026-01-01T00:00:03.000Z')]),
    ).toEqual({ written: 1 });
    const { rows: stored } = await connection.query<Record<string, unknown>>(
      `SELECT event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number::text AS sequence_number, arrival_time, received_at
       FROM telemetry_events WHERE event_id = $1`,
      [rows[0]?.event_id],
    );
    expect(stored[0]).toEqual({
      event_id: rows[0]?.event_id,
      source: 'svc',
      type: 'invocation',
      event_time: new Date('2026-01-01T00:00:00.000Z'),
      duration_ms: 12.5,
      payload: { n: 1, nested: { ok: true } },
      shard_id: 'shardId-000000000000',
      sequence_number: (big + 1n).toString(),
      arrival_time: new Date('2026-01-01T00:00:01.000Z'),
      received_at: new Date('2026-01-01T00:00:00.500Z'),
    });
  });

  it('moves the checkpoint forward only, comparing 128-bit sequence numbers exactly', async () => {
    await writeEvents(connection, [row(10, big + 10n)], [checkpoint(big + 10n, '2026-01-01T00:00:10.000Z')]);
    expect((await storedCheckpoint())?.sequence_number).toBe((big + 10n).toString());
    // An older batch (a retry, or a concurrent one with parallelizationFactor > 1) commits later.
    await writeEvents(connection, [row(9, big + 9n)], [checkpoint(big + 9n, '2026-01-01T00:00:09.000Z')]);
    expect(await storedCheckpoint()).toEqual({
      sequence_number: (big + 10n).toString(),
      arrival_time: new Date('2026-01-01T00:00:10.000Z'),
    });
  });

  it('commits nothing, checkpoint included, when Postgres refuses a row', async () => {
    const bad = { ...row(20, big + 20n), payload: { text: 'nul \u0000 here' } };
    const error = await errorOf(
      writeEvents(connection, [row(21, big + 21n), bad], [checkpoint(big + 21n, '2026-01-01T00:00:21.000Z')]),
    );
    expect(classifyDatabaseError(error)).toBe('data');
    expect((await storedCheckpoint())?.sequence_number).toBe((big + 10n).toString());
    const { rows } = await connection.query('SELECT 1 FROM telemetry_events WHERE event_id = $1', [
      row(21, 0n).event_id,
    ]);
    expect(rows).toHaveLength(0);
  });
});

describe('database configuration', () => {
  it('reads DATABASE_URL with defaults, or a secret ARN', () => {
    expect(readDatabaseConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' })).toEqual({
      source: { kind: 'url', url: 'postgres://u:p@h:5432/d' },
      tls: { mode: 'disable' },
      statementTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      pooled: false,
    });
    expect(
      readDatabaseConfig({
        DATABASE_SECRET_ARN: 'arn:secret',
        DATABASE_SSL: 'true',
        DATABASE_STATEMENT_TIMEOUT_MS: '3000',
      }),
    ).toMatchObject({
      source: { kind: 'secret', secretArn: 'arn:secret', baseUrl: undefined },
      tls: { mode: 'verify-full' },
      statementTimeoutMs: 3_000,
    });
  });

  it.each([
    [{}, /DATABASE_URL or DATABASE_SECRET_ARN is required/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'postgres://h/d', DATABASE_SSL: 'yes please' }, /DATABASE_SSL must be true or false/],
    [
      { DATABASE_URL: 'postgres://h/d', DATABASE_STATEMENT_TIMEOUT_MS: '5s' },
      /DATABASE_STATEMENT_TIMEOUT_MS must be an integer/,
    ],
  ])('refuses %j by name', (env, message) => {
    expect(() => readDatabaseConfig(env)).toThrow(ConfigError);
    expect(() => readDatabaseConfig(env)).toThrow(message);
  });

  it('parses an RDS-format secret, taking what it lacks from DATABASE_URL', () => {
    expect(
      parseRdsSecret(
        '{"engine":"postgres","host":"db.internal","port":6432,"username":"app","password":"s3cret","dbname":"telemetry"}',
        undefined,
      ),
    ).toEqual({
      host: 'db.internal',
      port: 6432,
      user: 'app',
      password: 's3cret',
      database: 'telemetry',
    });
    const base = { host: 'proxy.internal', port: 5432, user: 'ignored', password: 'ignored', database: 'telemetry' };
    expect(parseRdsSecret('{"username":"app","password":"rotated"}', base)).toEqual({
      ...base,
      user: 'app',
      password: 'rotated',
    });
    expect(() => parseRdsSecret('{"username":"app"}', undefined)).toThrow(/needs host, username and password/);
    expect(() => parseRdsSecret('nope', undefined)).toThrow(/not JSON/);
  });
});
