/**
 * The migrate function as CloudFormation calls it (a custom resource) and as an operator does (`{}`),
 * against real Postgres, with a real HTTP server standing in for the pre-signed ResponseURL. The
 * promise it keeps: every custom-resource event gets exactly one answer, before the function's own
 * timeout, SUCCESS or FAILED with the reason, so a stack never waits for CloudFormation's timeout.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { Client } from 'pg';
import { lambdaHandler } from '../../lib/lambda/lambdaHandler';
import { MIGRATIONS_DIR } from '../../lib/db/migrate';
import { migrateFunction, type MigrateEvent } from '../../lib/migrate/migrateFunction';
import { lambdaContext } from '../helpers/apiEvent';
import { freshDatabase, MIGRATION_NAMES } from '../helpers/local';

const MIGRATION_LOCK = 7_302_214_001;

interface Answer {
  body: CloudFormationCustomResourceResponse;
  contentType: string | undefined;
}

let server: Server;
let responseUrl = '';
let answers: Answer[] = [];
/** Status codes the next PUTs get, in order (then 200). */
let failNext: number[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = failNext.shift() ?? 200;
      if (status === 200 && request.method === 'PUT') {
        answers.push({
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CloudFormationCustomResourceResponse,
          contentType: request.headers['content-type'],
        });
      }
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?signature=x`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answers = [];
  failNext = [];
});

function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  physicalResourceId = 'telemetry-database-schema',
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:telemetry-pipeline-dev-migrate',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/telemetry-pipeline-dev/abc',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'Migrations',
    ResourceType: 'Custom::DatabaseMigrations',
    ResourceProperties: { ServiceToken: 'arn:...', MigrationsHash: 'h2' },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: physicalResourceId,
      OldResourceProperties: { ServiceToken: 'arn:...', MigrationsHash: 'h1' },
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}

function handlerWith(env: Record<string, string>) {
  return lambdaHandler(migrateFunction, { env: { POWERTOOLS_LOG_LEVEL: 'SILENT', ...env } });
}

async function appliedNames(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('migrate function as a CloudFormation custom resource', () => {
  it('Create applies the migrations and answers SUCCESS once; Update with nothing new keeps the resource', async () => {
    const db = await freshDatabase();
    try {
      const handler = handlerWith({ DATABASE_URL: db.url, MIGRATIONS_DIR });
      await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(300_000, 'migrate'));
      expect(answers).toHaveLength(1);
      expect(answers[0]?.body).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: 'telemetry-database-schema',
        StackId: expect.stringContaining('stack/telemetry-pipeline-dev'),
        RequestId: 'request-Create',
        LogicalResourceId: 'Migrations',
        // Counts, not the names: CloudFormation refuses answers over 4 KB.
        Data: { Applied: String(MIGRATION_NAMES.length), Last: MIGRATION_NAMES[MIGRATION_NAMES.length - 1] },
      });
      // The pre-signed URL is signed for an empty content type.
      expect(answers[0]?.contentType ?? '').toBe('');
      expect(await appliedNames(db.url)).toEqual(MIGRATION_NAMES);

      await handler(
        customResourceEvent('Update', 'schema-from-before') as MigrateEvent,
        lambdaContext(300_000, 'migrate'),
      );
      expect(answers[1]?.body).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: 'schema-from-before',
        Data: { Applied: '0', Last: 'none' },
      });
    } finally {
      await db.drop();
    }
  });

  it('a failing migration is a FAILED answer with the database error, and the function returns normally', async () => {
    const db = await freshDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await copyFile(path.join(MIGRATIONS_DIR, '001_telemetry_events.sql'), path.join(dir, '001_telemetry_events.sql'));
      await writeFile(path.join(dir, '002_broken.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;');
      const handler = handlerWith({ DATABASE_URL: db.url, MIGRATIONS_DIR: dir });
      const outcome = await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(300_000, 'migrate'));
      expect(outcome).toMatchObject({ status: 'FAILED' });
      expect(answers).toHaveLength(1);
      expect(answers[0]?.body.Status).toBe('FAILED');
      expect(answers[0]?.body.Reason).toMatch(/migration 002_broken\.sql failed: .*no_such_table/);
      // Each migration is its own transaction: the first stays applied, the broken one left nothing.
      expect(await appliedNames(db.url)).toEqual(['001_telemetry_events.sql']);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('a configuration error (no database settings) is a FAILED answer, not an invocation that never answers', async () => {
    const handler = handlerWith({ MIGRATIONS_DIR });
    await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(300_000, 'migrate'));
    expect(answers).toHaveLength(1);
    expect(answers[0]?.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'telemetry-database-schema' });
    expect(answers[0]?.body.Reason).toContain('DATABASE_URL or DATABASE_SECRET_ARN is required');
  });

  it('migrations that cannot finish in time are answered FAILED before the function would time out', async () => {
    const db = await freshDatabase();
    // Another deployer holds the migration lock: this run waits on it.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const handler = handlerWith({ DATABASE_URL: db.url, MIGRATIONS_DIR });
      const started = Date.now();
      // 12 s left: 10 s are kept back to answer, so the run gets 2 s.
      await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(12_000, 'migrate'));
      const elapsed = Date.now() - started;
      expect(answers).toHaveLength(1);
      expect(answers[0]?.body.Status).toBe('FAILED');
      expect(answers[0]?.body.Reason).toContain('did not finish within 2 s');
      // Answered inside the invocation's time, with the margin to spare.
      expect(elapsed).toBeLessThan(12_000);
    } finally {
      await holder.end();
      await db.drop();
    }
  }, 30_000);

  it('a migration that waits for a table lock gives up after MIGRATION_LOCK_TIMEOUT_MS instead of stalling writes', async () => {
    const db = await freshDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const holder = new Client({ connectionString: db.url });
    try {
      await copyFile(path.join(MIGRATIONS_DIR, '001_telemetry_events.sql'), path.join(dir, '001_telemetry_events.sql'));
      const handler = handlerWith({ DATABASE_URL: db.url, MIGRATIONS_DIR: dir, MIGRATION_LOCK_TIMEOUT_MS: '300' });
      await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(300_000, 'migrate'));
      await writeFile(path.join(dir, '002_add_column.sql'), 'ALTER TABLE telemetry_events ADD COLUMN note text;');
      // A long transaction holding the table (a backfill, a report) that the ALTER must wait for.
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE telemetry_events IN ACCESS SHARE MODE');
      const started = Date.now();
      await handler(customResourceEvent('Update') as MigrateEvent, lambdaContext(300_000, 'migrate'));
      expect(answers[1]?.body.Status).toBe('FAILED');
      expect(answers[1]?.body.Reason).toMatch(/migration 002_add_column\.sql failed: .*lock timeout/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await holder.end();
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('sets its own statement timeout, so a limit on the role (set for RDS Proxy stages) never cuts a migration short', async () => {
    const db = await freshDatabase();
    const role = `m_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      // The role's default: 200 ms. The migration below takes longer than that.
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' SUPERUSER`);
      await admin.query(`ALTER ROLE ${role} SET statement_timeout = 200`);
      await copyFile(path.join(MIGRATIONS_DIR, '001_telemetry_events.sql'), path.join(dir, '001_telemetry_events.sql'));
      await writeFile(path.join(dir, '002_slow.sql'), 'SELECT pg_sleep(0.5);');
      const url = new URL(db.url);
      url.username = role;
      url.password = 'pw';
      const handler = handlerWith({ DATABASE_URL: url.toString(), MIGRATIONS_DIR: dir });
      await handler(customResourceEvent('Create') as MigrateEvent, lambdaContext(300_000, 'migrate'));
      expect(answers[0]?.body).toMatchObject({ Status: 'SUCCESS', Data: { Applied: '2', Last: '002_slow.sql' } });
    } finally {
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
      await db.drop();
      const cleanup = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await cleanup.connect();
      await cleanup.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await cleanup.end();
    }
  });

  it('Delete answers SUCCESS without touching the database (the schema and its data stay)', async () => {
    // Nothing listens on port 1: any connection attempt would fail the answer.
    const handler = handlerWith({ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/none', MIGRATIONS_DIR });
    await handler(customResourceEvent('Delete') as MigrateEvent, lambdaContext(300_000, 'migrate'));
    expect(answers).toHaveLength(1);
    expect(answers[0]?.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'telemetry-database-schema' });
  });

  it('retries a failed answer, and throws (so that Lambda retries the event) when it cannot be delivered', async () => {
    const handler = handlerWith({ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/none', MIGRATIONS_DIR });
    failNext = [503];
    await handler(customResourceEvent('Delete') as MigrateEvent, lambdaContext(300_000, 'migrate'));
    expect(answers).toHaveLength(1);

    failNext = [500, 500, 500];
    await expect(
      handler(customResourceEvent('Delete') as MigrateEvent, lambdaContext(300_000, 'migrate')),
    ).rejects.toThrow('could not answer CloudFormation: HTTP 500');
    expect(answers).toHaveLength(1);
  });
});

describe('migrate function invoked by an operator', () => {
  it('`{}` applies what is pending and returns the names; a second run returns none', async () => {
    const db = await freshDatabase();
    try {
      const handler = handlerWith({ DATABASE_URL: db.url, MIGRATIONS_DIR });
      await expect(handler({}, lambdaContext(300_000, 'migrate'))).resolves.toEqual({
        applied: MIGRATION_NAMES,
      });
      await expect(handler({}, lambdaContext(300_000, 'migrate'))).resolves.toEqual({ applied: [] });
      expect(answers).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('sets the statement timeout on its role when asked (stages behind RDS Proxy)', async () => {
    const db = await freshDatabase();
    const role = `r_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' SUPERUSER`);
      const url = new URL(db.url);
      url.username = role;
      url.password = 'pw';
      const handler = handlerWith({ DATABASE_URL: url.toString(), MIGRATIONS_DIR, ROLE_STATEMENT_TIMEOUT_MS: '4000' });
      await handler({}, lambdaContext(300_000, 'migrate'));
      const { rows } = await admin.query<{ config: string[] | null }>(
        'SELECT rolconfig AS config FROM pg_roles WHERE rolname = $1',
        [role],
      );
      expect(rows[0]?.config).toEqual(['statement_timeout=4000']);
    } finally {
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.end();
      await db.drop();
      const cleanup = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await cleanup.connect();
      await cleanup.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await cleanup.end();
    }
  });
});
