import { randomUUID } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { Client } from 'pg';
import { createSqsClient } from '../../lib/aws/sqsClient';
import { METRIC } from '../../lib/consumer/metrics';
import { processBatch, type ConsumerDeps } from '../../lib/consumer/processBatch';
import { fromLambdaRecord } from '../../lib/kinesis/shardRecord';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { DlqRecord } from '../../lib/dlq/recordMessage';
import { DeadLetterError } from '../../lib/errors';
import type { LambdaHandler } from '../../lib/lambda/lambdaHandler';
import { freePort } from '../../local/src/services';
import type { TelemetryEvent } from '../../lib/telemetry/event';
import { shardedRecord, toKinesisEvent, toLambdaRecord as lambdaRecord } from '../helpers/kinesisEvent';
import {
  createQueue,
  createStream,
  freshDatabase,
  readAllRecords,
  receiveAll,
  testAwsConfig,
  testKinesis,
  testSqs,
} from '../helpers/local';

// ---- fixtures: events, poison, and Lambda's Kinesis records built from what kinesalite stored ----

type Kind = 'good' | 'bad-json' | 'bad-schema' | 'nul';

interface Sent {
  kind: Kind;
  eventId: string;
  data: Buffer;
  partitionKey: string;
}

function telemetryEvent(i: number): TelemetryEvent {
  return {
    v: 2,
    tenant: 'test',
    eventId: randomUUID(),
    source: `service-${i % 5}`,
    type: 'invocation',
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
    durationMs: i % 3 === 0 ? null : i * 1.5,
    payload: { requestId: randomUUID(), memoryMb: 1024, coldStart: i % 7 === 0, note: 'n'.repeat(300) },
    receivedAt: new Date().toISOString(),
  };
}

/** `kinds[i]` says what record i is; poison is whatever decodes badly or only Postgres refuses. */
function makeRecords(kinds: readonly Kind[]): Sent[] {
  return kinds.map((kind, i) => {
    const event = telemetryEvent(i);
    let text: string;
    if (kind === 'bad-json') text = `{"v":1,"eventId":"${event.eventId}",`;
    else if (kind === 'bad-schema') text = JSON.stringify({ ...event, durationMs: 'slow' });
    // Valid JSON and a valid event for JavaScript; Postgres' jsonb refuses \u0000.
    else if (kind === 'nul') text = JSON.stringify({ ...event, payload: { note: 'before\u0000after' } });
    else text = JSON.stringify(event);
    return { kind, eventId: event.eventId, data: Buffer.from(text), partitionKey: event.source };
  });
}

const region = 'us-east-1';
const CONSUMER_ROLE = 'arn:aws:iam::000000000000:role/consumer';

/** Puts the records on a real kinesalite stream and returns them as Lambda would deliver them. */
async function throughKinesis(sent: readonly Sent[]): Promise<KinesisStreamRecord[]> {
  const kinesis = testKinesis();
  try {
    const stream = await createStream(kinesis);
    for (let i = 0; i < sent.length; i += 500) {
      const chunk = sent.slice(i, i + 500);
      const result = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
      );
      expect(result.FailedRecordCount ?? 0).toBe(0);
    }
    const stored = await readAllRecords(kinesis, stream);
    expect(stored).toHaveLength(sent.length);
    return toKinesisEvent(stored, `arn:aws:kinesis:${region}:000000000000:stream/${stream}`, {
      region,
      invokeIdentityArn: CONSUMER_ROLE,
    }).Records;
  } finally {
    kinesis.destroy();
  }
}

/** A record as Lambda delivers it, through the one Lambda Kinesis record factory (emulator/src). */
function toLambdaRecord(
  shardId: string,
  sequenceNumber: string,
  partitionKey: string,
  data: Buffer,
  arrival: Date,
  streamArn: string,
): KinesisStreamRecord {
  return lambdaRecord(shardedRecord({ shardId, sequenceNumber, partitionKey, data, arrival }), streamArn, {
    region,
    invokeIdentityArn: CONSUMER_ROLE,
  });
}

/** The records as our own DLQ messages hold them, by sequence number, with each message's reason. */
async function dlqRecords(sqs: SQSClient, queueUrl: string): Promise<Map<string, DlqRecord & { reason: string }>> {
  const out = new Map<string, DlqRecord & { reason: string }>();
  for (const message of await receiveAll(sqs, queueUrl)) {
    const parsed = parseDlqMessage(message.Body ?? '');
    if (parsed.kind !== 'records') throw new Error('expected our record messages only');
    for (const record of parsed.message.records) {
      expect(out.has(record.sequenceNumber)).toBe(false);
      out.set(record.sequenceNumber, { ...record, reason: parsed.message.reason });
    }
  }
  return out;
}

/** Counts statements on the way to the real connection; changes nothing. */
function counting(db: Queryable): Queryable & { count: number } {
  const wrapper = {
    count: 0,
    query: ((...args: Parameters<Queryable['query']>) => {
      wrapper.count += 1;
      return db.query(...args);
    }) as Queryable['query'],
  };
  return wrapper;
}

// ---- shared setup: one fresh database, one connection kept across "invocations" like a container ----

let database: { url: string; drop: () => Promise<void> };
let connection: DatabaseConnection;
let admin: Client;
const sqs = testSqs();

beforeAll(async () => {
  database = await freshDatabase();
  admin = new Client({ connectionString: database.url });
  await admin.connect();
  await applyMigrations(admin);
  connection = new DatabaseConnection({
    source: { kind: 'url', url: database.url },
    tls: { mode: 'disable' },
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    pooled: false,
  });
});

afterAll(async () => {
  await connection.close();
  await admin.end();
  await database.drop();
  sqs.destroy();
});

function deps(db: Queryable, dlqUrl: string, overrides: Partial<ConsumerDeps> = {}): ConsumerDeps {
  return { db, sqs, dlqUrl, maxMessageBytes: 262_144, functionName: 'consumer-test', ...overrides };
}

async function storedIds(ids: readonly string[]): Promise<string[]> {
  const { rows } = await admin.query<{ event_id: string }>(
    'SELECT event_id FROM telemetry_events WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  return rows.map((r) => r.event_id).sort();
}

function kindsFor(length: number, poison: Record<number, Kind>): Kind[] {
  return Array.from({ length }, (_, i) => poison[i] ?? 'good');
}

// ---- the tests ----

describe('consumer: a 1,000-record batch with poison spread through it', () => {
  const poisonAt: Record<number, Kind> = {};
  for (let i = 7; i < 1000; i += 61) poisonAt[i] = 'bad-json';
  for (let i = 30; i < 1000; i += 97) poisonAt[i] = 'bad-schema';
  poisonAt[0] = 'bad-json';
  poisonAt[404] = 'nul';
  poisonAt[777] = 'nul';
  poisonAt[999] = 'nul';
  const kinds = kindsFor(1000, poisonAt);
  const sent = makeRecords(kinds);
  const good = sent.filter((r) => r.kind === 'good');
  const nulCount = kinds.filter((k) => k === 'nul').length;
  let records: KinesisStreamRecord[];
  let queueUrl: string;

  beforeAll(async () => {
    records = await throughKinesis(sent);
    queueUrl = await createQueue(sqs);
  });

  it('writes every good event once, dead-letters every poison record with its data and reason, in O(log n) statements', async () => {
    const db = counting(connection);
    const result = await processBatch(records.map(fromLambdaRecord), deps(db, queueUrl));

    expect(result.batchItemFailures).toEqual([]);
    expect(await storedIds(good.map((r) => r.eventId))).toEqual(good.map((r) => r.eventId).sort());
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_events');
    expect(rows[0]?.n).toBe(good.length);

    const dead = await dlqRecords(sqs, queueUrl);
    const expectedReason: Record<Exclude<Kind, 'good'>, string> = {
      'bad-json': 'invalid-json',
      'bad-schema': 'invalid-event',
      nul: 'db-rejected',
    };
    const poison = records.filter((_, i) => kinds[i] !== 'good');
    expect([...dead.keys()].sort()).toEqual(poison.map((r) => r.kinesis.sequenceNumber).sort());
    records.forEach((record, i) => {
      const kind = kinds[i];
      if (kind === undefined || kind === 'good') return;
      const entry = dead.get(record.kinesis.sequenceNumber);
      expect(entry?.reason).toBe(expectedReason[kind]);
      expect(entry?.data).toBe(record.kinesis.data);
      expect(entry?.partitionKey).toBe(record.kinesis.partitionKey);
    });
    expect(dead.get(records[404]?.kinesis.sequenceNumber ?? '')?.error).toMatch(/22P05/);

    // Bisection: at most 1 + 2k*log2(n) statements for k rejected rows, nowhere near one per record
    // (+1: the checkpoint moved past the poison once it is in the DLQ).
    const bound = 2 + 2 * nulCount * Math.ceil(Math.log2(1000));
    expect(db.count).toBeLessThanOrEqual(bound);
    expect(db.count).toBeGreaterThan(1);
    expect(result.stats).toMatchObject({
      records: 1000,
      written: good.length,
      duplicates: 0,
      poison: poison.length,
      statements: db.count,
    });

    // The shard's checkpoint: the end of the batch, every record of which is stored or in the DLQ.
    const lastRecord = records.at(-1);
    const { rows: checkpoints } = await admin.query<{ sequence_number: string }>(
      'SELECT sequence_number::text AS sequence_number FROM shard_checkpoints WHERE stream_arn = $1',
      [records[0]?.eventSourceARN],
    );
    expect(checkpoints).toEqual([{ sequence_number: lastRecord?.kinesis.sequenceNumber }]);
  });

  it('the same batch delivered again (a retry after a timeout) writes nothing new', async () => {
    const before = await admin.query<{ n: number; latest: Date }>(
      'SELECT count(*)::int AS n, max(ingested_at) AS latest FROM telemetry_events',
    );
    const result = await processBatch(records.map(fromLambdaRecord), deps(connection, queueUrl));
    expect(result.batchItemFailures).toEqual([]);
    expect(result.stats).toMatchObject({ written: 0, duplicates: good.length });
    const after = await admin.query<{ n: number; latest: Date }>(
      'SELECT count(*)::int AS n, max(ingested_at) AS latest FROM telemetry_events',
    );
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});

describe('consumer: the DLQ unreachable', () => {
  const kinds = kindsFor(40, { 3: 'bad-json', 20: 'nul', 33: 'bad-schema' });
  const sent = makeRecords(kinds);
  const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/dlq-down`;
  const records = sent.map((r, i) =>
    toLambdaRecord(
      'shardId-000000000000',
      (10n ** 50n + BigInt(i)).toString(),
      r.partitionKey,
      r.data,
      new Date(),
      streamArn,
    ),
  );

  it.each([
    ['nothing listens at the endpoint', 'closed-port'],
    ['the queue was deleted', 'deleted'],
  ])('fails the batch rather than losing poison records (%s); the retry delivers them', async (_name, fault) => {
    let broken: SQSClient = sqs;
    let brokenUrl: string;
    if (fault === 'closed-port') {
      const port = await freePort();
      broken = createSqsClient({ ...testAwsConfig(), sqsEndpoint: `http://127.0.0.1:${port}` });
      brokenUrl = `http://127.0.0.1:${port}/000000000000/dlq`;
    } else {
      brokenUrl = await createQueue(sqs);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: brokenUrl }));
    }
    try {
      await expect(
        processBatch(records.map(fromLambdaRecord), deps(connection, brokenUrl, { sqs: broken })),
      ).rejects.toThrow(DeadLetterError);
    } finally {
      if (broken !== sqs) broken.destroy();
    }
    // Lambda retries the batch; now the DLQ is there. Rows from the failed attempt are skipped as duplicates.
    const queueUrl = await createQueue(sqs);
    const result = await processBatch(records.map(fromLambdaRecord), deps(connection, queueUrl));
    expect(result.batchItemFailures).toEqual([]);
    const dead = await dlqRecords(sqs, queueUrl);
    expect([...dead.keys()].sort()).toEqual(
      [records[3], records[20], records[33]].map((r) => r?.kinesis.sequenceNumber).sort(),
    );
    const good = sent.filter((r) => r.kind === 'good').map((r) => r.eventId);
    expect(await storedIds(good)).toEqual([...good].sort());
  });
});

describe('consumer: near the Lambda deadline', () => {
  it('stops bisecting, dead-letters the handled prefix and returns a checkpoint at the first unhandled record', async () => {
    const kinds = kindsFor(64, { 5: 'bad-json', 21: 'nul', 40: 'nul', 58: 'bad-schema' });
    const sent = makeRecords(kinds);
    const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/deadline`;
    const records = sent.map((r, i) =>
      toLambdaRecord(
        'shardId-000000000000',
        (10n ** 45n + BigInt(i)).toString(),
        r.partitionKey,
        r.data,
        new Date(),
        streamArn,
      ),
    );
    const queueUrl = await createQueue(sqs);
    // The clock is a counter, not time: plenty left for 11 statements (enough to isolate record 21), then below the margin.
    let asked = 0;
    const remainingTimeMs = (): number => (++asked <= 10 ? 60_000 : 1_000);

    const result = await processBatch(
      records.map(fromLambdaRecord),
      deps(connection, queueUrl, { remainingTimeMs, deadlineMarginMs: 5_000 }),
    );

    expect(result.batchItemFailures).toHaveLength(1);
    expect(result.stats.checkpointed).toBe(true);
    const firstUnhandled = records.findIndex(
      (r) => r.kinesis.sequenceNumber === result.batchItemFailures[0]?.itemIdentifier,
    );
    expect(firstUnhandled).toBeGreaterThan(21); // past the first rejected row: progress was made
    expect(firstUnhandled).toBeLessThan(64);
    // Before the checkpoint: every good record written, every poison record dead-lettered. After it: nothing.
    const before = (kind: Kind) => sent.filter((r, i) => i < firstUnhandled && r.kind === kind);
    const goodIds = sent.filter((r) => r.kind === 'good').map((r) => r.eventId);
    expect(await storedIds(goodIds)).toEqual(
      before('good')
        .map((r) => r.eventId)
        .sort(),
    );
    const dead = await dlqRecords(sqs, queueUrl);
    const expectedDead = records
      .filter((_, i) => i < firstUnhandled && kinds[i] !== 'good')
      .map((r) => r.kinesis.sequenceNumber);
    expect([...dead.keys()].sort()).toEqual(expectedDead.sort());

    // Lambda re-delivers from the checkpoint: the rest is written and dead-lettered.
    const rest = records.slice(firstUnhandled);
    const again = await processBatch(rest.map(fromLambdaRecord), deps(connection, queueUrl));
    expect(again.batchItemFailures).toEqual([]);
    expect(await storedIds(goodIds)).toEqual([...goodIds].sort());
    expect((await dlqRecords(sqs, queueUrl)).size).toBe(kinds.filter((k) => k !== 'good').length - expectedDead.length);
  });
});

describe('consumer handler', () => {
  it('wires config and clients at cold start, returns batchItemFailures and emits the EMF metrics', async () => {
    const queueUrl = await createQueue(sqs);
    const env = {
      DATABASE_URL: database.url,
      DLQ_URL: queueUrl,
      AWS_ENDPOINT_URL_SQS: testAwsConfig().sqsEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'telemetry-dev-consumer',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'TelemetryTest',
    };
    // A fresh container: the exported handler builds its dependencies from process.env on its first
    // invocation, so the environment stays set until that invocation is done.
    let handler: LambdaHandler<KinesisStreamEvent, KinesisStreamBatchResponse> | undefined;
    jest.isolateModules(() => {
      ({ handler } = require('../../handlers/consumer') as { handler: typeof handler });
    });
    if (!handler) throw new Error('handler did not load');
    const saved = { ...process.env };

    const kinds = kindsFor(6, { 2: 'bad-json' });
    const sent = makeRecords(kinds);
    const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/handler`;
    const event: KinesisStreamEvent = {
      Records: sent.map((r, i) =>
        toLambdaRecord(
          'shardId-000000000003',
          (10n ** 40n + BigInt(i)).toString(),
          r.partitionKey,
          r.data,
          new Date(Date.now() - 2_000),
          streamArn,
        ),
      ),
    };
    const context = { functionName: 'telemetry-dev-consumer', getRemainingTimeInMillis: () => 60_000 } as Context;

    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let response: KinesisStreamBatchResponse;
    Object.assign(process.env, env);
    try {
      response = await handler(event, context);
    } finally {
      write.mockRestore();
      process.env = saved;
    }

    expect(response).toEqual({ batchItemFailures: [] });
    const good = sent.filter((r) => r.kind === 'good').map((r) => r.eventId);
    expect(await storedIds(good)).toEqual([...good].sort());
    const dead = await dlqRecords(sqs, queueUrl);
    expect([...dead.values()].map((r) => r.reason)).toEqual(['invalid-json']);

    const emf = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
          } & Record<string, unknown>,
      );
    expect(emf).toHaveLength(1);
    const [directive] = emf[0]?._aws.CloudWatchMetrics ?? [];
    expect(directive?.Namespace).toBe('TelemetryTest');
    const names = directive?.Metrics.map((m) => m.Name) ?? [];
    for (const name of [
      METRIC.records,
      METRIC.written,
      METRIC.duplicates,
      METRIC.poison,
      METRIC.databaseTime,
      METRIC.totalTime,
      METRIC.iteratorAge,
      METRIC.statements,
    ])
      expect(names).toContain(name);
    expect(emf[0]?.[METRIC.records]).toBe(6);
    expect(emf[0]?.[METRIC.written]).toBe(5);
    expect(emf[0]?.[METRIC.poison]).toBe(1);
    expect(emf[0]?.[METRIC.iteratorAge]).toBeGreaterThanOrEqual(2_000);
  });

  it('fails the invocation with BatchFailedError (the DLQ failure as its cause) and still emits the failure metrics', async () => {
    const env = {
      DATABASE_URL: database.url,
      // No such queue: the poison record cannot be dead-lettered, so the batch must be retried.
      DLQ_URL: `${testAwsConfig().sqsEndpoint}/000000000000/no-such-queue`,
      AWS_ENDPOINT_URL_SQS: testAwsConfig().sqsEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'telemetry-dev-consumer',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'TelemetryTest',
    };
    let handler: LambdaHandler<KinesisStreamEvent, KinesisStreamBatchResponse> | undefined;
    jest.isolateModules(() => {
      ({ handler } = require('../../handlers/consumer') as { handler: typeof handler });
    });
    if (!handler) throw new Error('handler did not load');
    const saved = { ...process.env };
    const sent = makeRecords(kindsFor(4, { 1: 'bad-json' }));
    const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/handler-dlq-down`;
    const event: KinesisStreamEvent = {
      Records: sent.map((r, i) =>
        toLambdaRecord(
          'shardId-000000000004',
          (10n ** 41n + BigInt(i)).toString(),
          r.partitionKey,
          r.data,
          new Date(),
          streamArn,
        ),
      ),
    };
    const context = { functionName: 'telemetry-dev-consumer', getRemainingTimeInMillis: () => 60_000 } as Context;

    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let error: unknown;
    Object.assign(process.env, env);
    try {
      error = await handler(event, context).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      write.mockRestore();
      process.env = saved;
    }

    // The handler's modules are its own (isolateModules): compare by name and code, not by class.
    expect(error).toMatchObject({
      name: 'BatchFailedError',
      code: 'BATCH_FAILED',
      cause: { name: 'DeadLetterError', code: 'DLQ_UNAVAILABLE' },
    });
    expect((error as Error).message).toMatch(/dead-letter queue cannot be written/);
    const emf = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]?.[METRIC.failed]).toBe(1);
    expect(emf[0]?.[METRIC.records]).toBe(4);
  });
});
