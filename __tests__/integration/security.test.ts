/**
 * Security checks as tests:
 * - a request without a valid API key is refused before anything else happens (the body is never
 *   read, nothing is put, the database is never asked);
 * - API keys never reach the logs, whatever the outcome and at the most verbose log settings;
 * - the packaged prod template scopes every Kinesis and SQS grant to named resources and holds no
 *   database password (template.test.ts checks the dev stage the same way; prod is the one that counts);
 * - SQL is parameterised: hostile strings in every field travel ingest -> stream -> consumer ->
 *   Postgres -> status verbatim and harm nothing; and no SQL text in lib/, handlers/, scripts/, local/src/ or emulator/src/ is
 *   built from values (a static check with the TypeScript parser, checked against known offenders).
 */
import { gzipSync } from 'node:zlib';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Client } from 'pg';
import ts from 'typescript';
import { processBatch } from '../../lib/consumer/processBatch';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import { handleIngest, type IngestDeps } from '../../lib/ingest/handleIngest';
import { offlineService, type OfflineService } from '../../local/src/offlineService';
import { freePort } from '../../local/src/services';
import { createObservability } from '../../lib/lambda/observability';
import { handleStatus } from '../../lib/status/handleStatus';
import type { StoredEvent } from '../../lib/status/storedEvent';
import { readZipEntries } from '../../scripts/bundle-sizes';
import { getTelemetryStatus, lambdaContext, postTelemetry } from '../helpers/apiEvent';
import { toShardRecords } from '../helpers/kinesisEvent';
import { captureOutput } from '../helpers/captureOutput';
import { seedKeyStore, TEST_CURSOR_SECRET, testKeyStore } from '../helpers/keys';
import { observePutRecords } from '../helpers/kinesisFaults';
import {
  createQueue,
  createStream,
  freshDatabase,
  readAllRecords,
  receiveAll,
  testKinesis,
  testSqs,
  testSsm,
} from '../helpers/local';

const ROOT = path.resolve(__dirname, '..', '..');
const API_KEY = 'sk-security-test-7f3a9c1e5b';
const WRONG_KEY = 'sk-wrong-guess-0d4e8b2a6c';
const TENANT = 'security';
const keysConfig = { path: '/security/api-keys/', refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 };
const keys = () => testKeyStore([{ key: API_KEY, tenant: TENANT }]);

function json<T>(answer: APIGatewayProxyStructuredResultV2 | undefined): T {
  return JSON.parse(answer?.body ?? '') as T;
}

/** An event whose body (and base64 flag) report whether anything read them. */
function watched(event: APIGatewayProxyEventV2): { event: APIGatewayProxyEventV2; touched: () => boolean } {
  let touched = false;
  const { body, isBase64Encoded } = event;
  Object.defineProperty(event, 'body', { get: () => ((touched = true), body) });
  Object.defineProperty(event, 'isBase64Encoded', { get: () => ((touched = true), isBase64Encoded) });
  return { event, touched: () => touched };
}

describe('requests without a valid API key are refused before parsing', () => {
  let kinesis: KinesisClient;
  let deps: IngestDeps;
  beforeAll(async () => {
    kinesis = testKinesis();
    const stream = await createStream(kinesis);
    deps = {
      ...createObservability('security-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
      kinesis,
      keys: keys(),
      config: {
        stream: { streamName: stream },
        keys: keysConfig,
        maxBodyBytes: 5 * 1024 * 1024,
        maxEventsPerRequest: 10_000,
        putConcurrency: 8,
      },
    };
  });
  afterAll(() => kinesis?.destroy());

  // A body every later step would refuse differently: an unsupported type, and gzip inflating to 50 MB.
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
  it.each<[string, Record<string, string>]>([
    ['no key', {}],
    ['an empty key', { 'x-api-key': '' }],
    ['a wrong key', { 'x-api-key': WRONG_KEY }],
    ['the key with a trailing space', { 'x-api-key': `${API_KEY} ` }],
    ['the key in upper case', { 'x-api-key': API_KEY.toUpperCase() }],
    // Authorization counts only with the Bearer scheme (requestKey.ts).
    ['the key in another header', { authorization: API_KEY, 'x-api-token': API_KEY }],
    ['the key as Basic credentials', { authorization: `Basic ${API_KEY}` }],
    ['a wrong Bearer key', { authorization: `Bearer ${WRONG_KEY}` }],
    ['a 100 KB key', { 'x-api-key': 'k'.repeat(100_000) }],
  ])('ingest: %s -> 401, the body never read, nothing put', async (_case, keyHeaders) => {
    const watch = observePutRecords(kinesis);
    try {
      const { event, touched } = watched(
        postTelemetry({
          headers: { ...keyHeaders, 'content-type': 'text/csv', 'content-encoding': 'gzip' },
          body: bomb,
        }),
      );
      const answer = await handleIngest(event, Date.now() + 10_000, deps);
      expect({
        status: answer.statusCode,
        code: json<{ code: string }>(answer).code,
        bodyRead: touched(),
        putCalls: watch.calls.length,
      }).toEqual({
        status: 401,
        code: 'UNAUTHORIZED',
        bodyRead: false,
        putCalls: 0,
      });
    } finally {
      watch.remove();
    }
  });

  it('ingest: the same request with the key gets past authentication (and is refused for its content type)', async () => {
    const answer = await handleIngest(
      postTelemetry({
        headers: { 'x-api-key': API_KEY, 'content-type': 'text/csv', 'content-encoding': 'gzip' },
        body: bomb,
      }),
      Date.now() + 10_000,
      deps,
    );
    expect(json<{ code: string }>(answer).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('status: a wrong key -> 401 and the database is never asked, whatever the id', async () => {
    const asked: string[] = [];
    const db: Queryable = {
      query: (async (text: string) => {
        asked.push(text);
        throw new Error('must not be called');
      }) as Queryable['query'],
    };
    for (const eventId of ['0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e', "x'; DROP TABLE telemetry_events; --"]) {
      const answer = await handleStatus(getTelemetryStatus(eventId, { 'x-api-key': WRONG_KEY }), {
        ...createObservability('security-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
        db,
        keys: keys(),
        cursorSecret: async () => Buffer.from(TEST_CURSOR_SECRET),
      });
      expect(answer.statusCode).toBe(401);
    }
    expect(asked).toEqual([]);
  });
});

describe('API keys are never logged', () => {
  const saved = { ...process.env };
  let lines: string[] = [];
  let kinesis: KinesisClient;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    kinesis = testKinesis();
    database = await freshDatabase();
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    await applyMigrations(admin);
    await admin.end();
    Object.assign(process.env, {
      TELEMETRY_STREAM_NAME: await createStream(kinesis),
      API_KEYS_PATH: await seedKeyStore(testSsm(), [{ key: API_KEY, tenant: TENANT }]),
      AWS_ENDPOINT_URL_SSM: process.env.TEST_SSM_ENDPOINT,
      CURSOR_SECRET: TEST_CURSOR_SECRET,
      AWS_ENDPOINT_URL_KINESIS: process.env.TEST_KINESIS_ENDPOINT,
      // As verbose as Powertools gets, with the incoming event logged should anything ever ask for it.
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
  });

  afterAll(async () => {
    process.env = { ...saved };
    kinesis?.destroy();
    await database?.drop();
  });

  beforeEach(() => {
    lines = [];
    captureOutput(lines);
  });
  afterEach(() => jest.restoreAllMocks());

  function load<T>(module: string): T {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      loaded = require(module) as T;
    });
    return loaded as T;
  }

  function expectNoKey(): void {
    const text = lines.join('\n');
    for (const secret of [
      API_KEY,
      WRONG_KEY,
      Buffer.from(API_KEY).toString('base64'),
      Buffer.from(WRONG_KEY).toString('base64'),
    ])
      expect(text).not.toContain(secret);
  }

  it('ingest logs each request (accepted, refused, unauthorised) without the key', async () => {
    const { handler } = load<typeof import('../../handlers/ingest')>('../../handlers/ingest');
    const send = (headers: Record<string, string>, body: string) =>
      handler(
        postTelemetry({ headers: { 'content-type': 'application/json', ...headers }, body }),
        lambdaContext(10_000, 'ingest'),
      );
    expect((await send({ 'x-api-key': API_KEY }, JSON.stringify({ source: 'a', timestamp: 1 })))?.statusCode).toBe(202);
    expect((await send({ 'x-api-key': API_KEY }, '{"source":')).statusCode).toBe(400);
    expect((await send({ 'x-api-key': WRONG_KEY }, JSON.stringify({ source: 'a', timestamp: 1 }))).statusCode).toBe(
      401,
    );
    expect((await send({ authorization: API_KEY, 'x-api-key': WRONG_KEY }, '{}')).statusCode).toBe(401);
    // What was written is the structured request log: the check below looks at real log lines.
    expect(lines.filter((line) => line.includes('"ingest request"')).length).toBeGreaterThanOrEqual(4);
    expect(lines.some((line) => line.includes('"status":401'))).toBe(true);
    expectNoKey();
  });

  it('status logs lookups and database failures without the key', async () => {
    process.env.DATABASE_URL = database.url;
    const up = load<typeof import('../../handlers/status')>('../../handlers/status');
    const id = '0190b6c2-7c1e-7a3b-9d0e-2f4a6b8c0d1e';
    expect(
      (await up.handler(getTelemetryStatus(id, { 'x-api-key': API_KEY }), lambdaContext(10_000, 'status'))).statusCode,
    ).toBe(202);
    expect(
      (await up.handler(getTelemetryStatus(id, { 'x-api-key': WRONG_KEY }), lambdaContext(10_000, 'status')))
        .statusCode,
    ).toBe(401);
    // Nothing listens on this port: the lookup fails and is logged as an error.
    process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`;
    process.env.DATABASE_CONNECT_TIMEOUT_MS = '1000';
    const down = load<typeof import('../../handlers/status')>('../../handlers/status');
    expect(
      (await down.handler(getTelemetryStatus(id, { 'x-api-key': API_KEY }), lambdaContext(10_000, 'status')))
        .statusCode,
    ).toBe(503);
    expect(lines.some((line) => line.includes('"read failed"'))).toBe(true);
    expectNoKey();
  });
});

// --- the packaged template (prod) ---------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: Json;
}

/** Every string inside a value (through Fn::Sub, Fn::Join, Fn::If...), for wildcard checks. */
function strings(value: Json | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function statementsOf(template: {
  Resources: Record<string, { Type: string; Properties?: Record<string, Json> }>;
}): Statement[] {
  const documents: Json[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      const policies = resource.Properties?.Policies;
      if (Array.isArray(policies))
        for (const policy of policies) documents.push((policy as { PolicyDocument?: Json }).PolicyDocument ?? null);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      documents.push(resource.Properties?.PolicyDocument ?? null);
  }
  return documents.flatMap((document) => {
    const list = (document as { Statement?: Json } | null)?.Statement;
    return Array.isArray(list) ? (list as Statement[]) : [];
  });
}

describe('the packaged prod template', () => {
  let service: OfflineService | undefined;
  let packageDir = '';
  let templateText = '';
  let template: { Resources: Record<string, { Type: string; Properties?: Record<string, Json> }> };

  beforeAll(async () => {
    // A directory of links keeps this run apart from the checkout and from template.test.ts's own run.
    service = await offlineService(ROOT, 'telemetry-security-');
    packageDir = await service.package('prod', 'package');
    templateText = await readFile(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8');
    template = JSON.parse(templateText) as typeof template;
  }, 180_000);

  afterAll(async () => {
    await service?.remove();
  });

  it('grants Kinesis and SQS actions only on named resources, never on a wildcard', () => {
    const grants = statementsOf(template).filter((s) =>
      [s.Action ?? []].flat().some((action) => /^(kinesis|sqs):/i.test(action)),
    );
    expect(grants.length).toBeGreaterThanOrEqual(3);
    for (const statement of grants) {
      expect([statement.Action ?? []].flat().filter((action) => action.includes('*'))).toEqual([]);
      expect(statement.Resource).toBeDefined();
      // A wildcard anywhere in the resource (a plain "*", an ARN pattern, a piece of a Fn::Join or Fn::Sub).
      expect(strings(statement.Resource ?? null).filter((piece) => piece.includes('*'))).toEqual([]);
    }
    expect(statementsOf(template).filter((s) => [s.Action ?? []].flat().some((action) => action === '*'))).toEqual([]);
  });

  it('holds no database URL or password: credentials come from Secrets Manager at run time', async () => {
    // PasswordLength: the generated cursor secret's (deploy/reads.cjs), a length and no password.
    expect(templateText.replaceAll('"PasswordLength"', '')).not.toMatch(/password|postgres(ql)?:\/\/|DATABASE_URL/i);
    expect(templateText).toContain('DATABASE_SECRET_ARN');
    // Nor do the bundles carry one (the local stage's default URL lives only in serverless.yml's local params).
    for (const name of ['ingest', 'status', 'consumer', 'relay', 'replay']) {
      const code = readZipEntries(await readFile(path.join(packageDir, `${name}.zip`)))
        .filter((entry) => entry.name.endsWith('.js'))
        .map((entry) => entry.data().toString('utf8'))
        .join('\n');
      expect(code.length).toBeGreaterThan(0);
      expect(code).not.toMatch(/postgres(ql)?:\/\/[^'"`\s]*:[^'"`\s@]+@|local-dev-key/);
    }
  });
});

// --- SQL: parameterised everywhere ----------------------------------------------------------------

const HOSTILE = [
  "'; DROP TABLE telemetry_events; --",
  "Robert'); DROP TABLE shard_checkpoints;--",
  '" OR "1"="1',
  "' OR '1'='1' --",
  '\\',
  "\\'; SELECT pg_sleep(5); --",
  '$1',
  '$$; DROP TABLE telemetry_events; $$',
  '$tag$ x $tag$',
  ') AS r(event_id uuid); DELETE FROM telemetry_events; --',
  '}]; DROP TABLE telemetry_events; [{',
  "E'\\x27'",
  '%s %d %n',
  'ʼ＇‘’ unicode quotes',
  '😀 \u2028 \u2029 \t\r\n',
  '::jsonb',
  '/* comment */ --',
];

describe('SQL is parameterised: hostile strings in every field, end to end', () => {
  it('stores every field verbatim, status gives them back, and every table is still there', async () => {
    const kinesis = testKinesis();
    const sqs = testSqs();
    const stream = await createStream(kinesis);
    const dlqUrl = await createQueue(sqs);
    const database = await freshDatabase();
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    const db = new DatabaseConnection({
      source: { kind: 'url', url: database.url },
      tls: { mode: 'disable' },
      statementTimeoutMs: 10_000,
      connectTimeoutMs: 3_000,
      pooled: false,
    });
    try {
      await applyMigrations(admin);
      const observability = createObservability('security-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' });
      const items = HOSTILE.map((text, i) => ({
        source: text,
        type: HOSTILE[(i + 1) % HOSTILE.length],
        timestamp: 1_700_000_000_000 + i,
        durationMs: i,
        [text]: text,
        nested: { [HOSTILE[(i + 2) % HOSTILE.length] as string]: [text, { deeper: text }] },
      }));
      const answer = await handleIngest(
        postTelemetry({
          headers: {
            'x-api-key': API_KEY,
            'content-type': 'application/json',
            'idempotency-key': HOSTILE[0] as string,
          },
          body: JSON.stringify(items),
        }),
        Date.now() + 10_000,
        {
          ...observability,
          kinesis,
          keys: keys(),
          config: {
            stream: { streamName: stream },
            keys: keysConfig,
            maxBodyBytes: 5 * 1024 * 1024,
            maxEventsPerRequest: 10_000,
            putConcurrency: 8,
          },
        },
      );
      expect(answer.statusCode).toBe(202);
      const { eventIds } = json<{ eventIds: string[] }>(answer);
      expect(eventIds).toHaveLength(items.length);

      // The stream ARN and shard id reach SQL too (the checkpoint row): hostile as well.
      const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}'); DROP TABLE shard_checkpoints; --`;
      const records = toShardRecords(await readAllRecords(kinesis, stream), streamArn);
      const result = await processBatch(records, {
        db,
        sqs,
        dlqUrl,
        maxMessageBytes: 262_144,
        functionName: 'security-test',
      });
      expect({
        failures: result.batchItemFailures,
        written: result.stats.written,
        poison: result.stats.poison,
      }).toEqual({ failures: [], written: items.length, poison: 0 });
      expect(await receiveAll(sqs, dlqUrl)).toEqual([]);

      const statusDeps = {
        ...observability,
        db,
        keys: keys(),
        cursorSecret: async () => Buffer.from(TEST_CURSOR_SECRET),
      };
      for (const [i, item] of items.entries()) {
        const status = await handleStatus(
          getTelemetryStatus(eventIds[i] as string, { 'x-api-key': API_KEY }),
          statusDeps,
        );
        expect(status.statusCode).toBe(200);
        const { event: stored } = json<{ event: StoredEvent }>(status);
        const { source, type, timestamp: _t, durationMs: _d, ...payload } = item;
        expect({ source: stored.source, type: stored.type, payload: stored.payload }).toEqual({
          source,
          type,
          payload,
        });
      }
      // A hostile id in the path is refused before any SQL.
      expect(
        (await handleStatus(getTelemetryStatus(HOSTILE[0] as string, { 'x-api-key': API_KEY }), statusDeps)).statusCode,
      ).toBe(400);

      const tables = await admin.query<{ name: string | null }>(
        "SELECT to_regclass(name)::text AS name FROM unnest(ARRAY['telemetry_events', 'shard_checkpoints', 'schema_migrations']) AS name",
      );
      expect(tables.rows.map((row) => row.name)).toEqual([
        'telemetry_events',
        'shard_checkpoints',
        'schema_migrations',
      ]);
      expect((await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_events')).rows[0]?.n).toBe(
        items.length,
      );
      expect((await admin.query<{ stream_arn: string }>('SELECT stream_arn FROM shard_checkpoints')).rows).toEqual([
        { stream_arn: streamArn },
      ]);
    } finally {
      await db.close();
      await admin.end();
      await database.drop();
      kinesis.destroy();
      sqs.destroy();
    }
  });
});

// --- SQL: never built from values (static) --------------------------------------------------------

/** SQL as this codebase writes it: upper-case keywords. (Prose in messages does not shout.) */
const SQL_TEXT =
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|DATABASE|INDEX|ROLE|USER)|DROP (TABLE|DATABASE|INDEX|ROLE)|ALTER (TABLE|DATABASE|ROLE)|TRUNCATE|GRANT|COPY)\b/;
/** A statement: text that begins with a keyword (a shell hint quoting SQL, say, does not). */
const SQL_STATEMENT =
  /^\s*\(?\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|COPY|SET|DO|CALL|EXPLAIN)\b/;
/** The only things that may be spliced into SQL text: pg's quoting, and generated `$n` placeholders. */
const SAFE_SPLICE = /^([\w.]+\.)?(escapeIdentifier|escapeLiteral|placeholders)\(/;

interface Offence {
  file: string;
  line: number;
  code: string;
}

function textOf(node: ts.TemplateExpression): string {
  return node.head.text + node.templateSpans.map((span) => `\${}${span.literal.text}`).join('');
}

/** SQL text built by splicing values into a template, or by concatenating strings. */
function sqlOffences(file: string, source: string): Offence[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const out: Offence[] = [];
  const report = (node: ts.Node): void => {
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    out.push({ file, line: line + 1, code: node.getText(sourceFile).slice(0, 160) });
  };
  const isSqlString = (node: ts.Node): boolean =>
    ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
      ? SQL_TEXT.test(node.text)
      : ts.isTemplateExpression(node) && SQL_TEXT.test(textOf(node));
  const visit = (node: ts.Node): void => {
    if (ts.isTemplateExpression(node) && SQL_STATEMENT.test(textOf(node)) && SQL_TEXT.test(textOf(node))) {
      if (!node.templateSpans.every((span) => SAFE_SPLICE.test(span.expression.getText(sourceFile)))) report(node);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.PlusToken &&
      (isSqlString(node.left) || isSqlString(node.right))
    ) {
      report(node);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'concat' &&
      [node.expression.expression, ...node.arguments].some(isSqlString)
    ) {
      report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return out;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

describe('no SQL text is built from values (static check of lib/, handlers/, scripts/, local/src/, emulator/src/)', () => {
  it('flags what it should and passes what it should (the checker itself)', () => {
    const flagged = (code: string): number => sqlOffences('sample.ts', code).length;
    expect(flagged('db.query(`SELECT * FROM t WHERE id = ${id}`);')).toBe(1);
    expect(flagged("db.query(`DELETE FROM t WHERE id = '${id}'`);")).toBe(1);
    expect(flagged("db.query('SELECT * FROM t WHERE id = ' + id);")).toBe(1);
    expect(flagged("const q = 'INSERT INTO t VALUES (' + value + ')';")).toBe(1);
    expect(flagged('await admin.query(`CREATE DATABASE ${name}`);')).toBe(1);
    expect(flagged("'UPDATE t SET a = 1 WHERE b = '.concat(b);")).toBe(1);
    expect(flagged('await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);')).toBe(0);
    expect(flagged("db.query('SELECT * FROM t WHERE id = $1', [id]);")).toBe(0);
    expect(flagged('const SQL = `SELECT a\n  FROM t WHERE id = $1`;\ndb.query(SQL, [id]);')).toBe(0);
    expect(flagged('throw new Error(`select a ${thing} from the list`);')).toBe(0);
    expect(flagged("log(`  psql '${url}' -c 'SELECT 1'`);")).toBe(0);
    expect(flagged('const WRITE = `\nWITH inserted AS (INSERT INTO t SELECT * FROM ${table}) SELECT 1`;')).toBe(1);
  });

  it('finds none in the code that ships or that operators run', async () => {
    // local/src and emulator/src were lib/local and scripts/ before the split: still checked.
    const files = (
      await Promise.all(
        ['lib', 'handlers', 'scripts', 'local/src', 'emulator/src'].map((dir) => sourceFiles(path.join(ROOT, dir))),
      )
    ).flat();
    expect(files.length).toBeGreaterThan(20);
    const offences: Offence[] = [];
    for (const file of files) offences.push(...sqlOffences(path.relative(ROOT, file), await readFile(file, 'utf8')));
    expect(offences).toEqual([]);
  });
});
