import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putRecords } from '../../lib/kinesis/putRecords';
import { streamResolver } from '../../lib/kinesis/streamRef';
import { replayQueue, type ReplayOptions } from '../../lib/replay/replayQueue';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { processBatch } from '../../lib/consumer/processBatch';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import { encodeEvent } from '../../lib/telemetry/event';
import { streamArnOf, toShardRecords } from '../helpers/kinesisEvent';
import {
  createQueue,
  createStream,
  freshDatabase,
  readAllRecords,
  receiveAll,
  testKinesis,
  testS3,
  testSqs,
} from '../helpers/local';

interface Fixture {
  kinesis: KinesisClient;
  sqs: SQSClient;
  stream: string;
  queueUrl: string;
  onStream: Awaited<ReturnType<typeof readAllRecords>>;
}

async function fixture(count = 100): Promise<Fixture> {
  const kinesis = testKinesis();
  const sqs = testSqs();
  const stream = await createStream(kinesis, 1);
  const queueUrl = await createQueue(sqs);
  const records = Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(JSON.stringify({ i })),
    partitionKey: `k${i % 4}`,
  }));
  await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 });
  return { kinesis, sqs, stream, queueUrl, onStream: await readAllRecords(kinesis, stream) };
}

/** Lambda's on-failure record for records [from, to] of the shard, shaped exactly like AWS's sample. */
function onFailureMessage(f: Fixture, from: number, to: number, batchSize = to - from + 1, start?: string): string {
  const first = f.onStream[from];
  const last = f.onStream[to];
  return JSON.stringify({
    requestContext: {
      requestId: 'c9b8fa9f-5a7f-4c34-9e3b-6fb6a0bd8c11',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId: first?.shardId,
      startSequenceNumber: start ?? first?.SequenceNumber,
      endSequenceNumber: last?.SequenceNumber,
      approximateArrivalOfFirstRecord: first?.ApproximateArrivalTimestamp?.toISOString(),
      approximateArrivalOfLastRecord: last?.ApproximateArrivalTimestamp?.toISOString(),
      batchSize,
      streamArn: streamArnOf(f.stream),
    },
  });
}

function recordMessage(f: Fixture, indexes: number[], reason = 'db-rejected'): string {
  return JSON.stringify({
    version: 1,
    kind: 'records',
    reason,
    error: 'injected for the test',
    function: 'consumer',
    streamArn: streamArnOf(f.stream),
    shardId: f.onStream[0]?.shardId,
    records: indexes.map((i) => {
      const r = f.onStream[i];
      return {
        sequenceNumber: r?.SequenceNumber,
        partitionKey: r?.PartitionKey,
        approximateArrivalTimestamp: (r?.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
        data: Buffer.from(r?.Data ?? []).toString('base64'),
      };
    }),
  });
}

async function send(f: Fixture, body: string): Promise<void> {
  await f.sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: body }));
}

function run(f: Fixture, options: Partial<ReplayOptions> = {}) {
  return replayQueue(
    {
      sqs: f.sqs,
      s3: testS3(),
      kinesisFor: () => f.kinesis,
      resolveStream: streamResolver({ region: 'us-east-1', streamAddressing: 'name' }),
    },
    { queueUrl: f.queueUrl, deadline: Date.now() + 30_000, ...options },
  );
}

const texts = (records: { Data?: Uint8Array }[]): string[] => records.map((r) => Buffer.from(r.Data ?? []).toString());

describe('replayQueue', () => {
  it('puts back exactly the range of a Lambda on-failure record and deletes the message', async () => {
    const f = await fixture();
    await send(f, onFailureMessage(f, 20, 49));
    const report = await run(f);
    expect(report).toMatchObject({
      messagesSeen: 1,
      replayed: 1,
      expired: 0,
      failed: 0,
      recordsReplayed: 30,
      stoppedBecause: 'drained',
    });
    const after = await readAllRecords(f.kinesis, f.stream);
    expect(after).toHaveLength(130);
    expect(texts(after.slice(100))).toEqual(texts(f.onStream.slice(20, 50)));
    expect(after.slice(100).map((r) => r.PartitionKey)).toEqual(f.onStream.slice(20, 50).map((r) => r.PartitionKey));
    expect(await receiveAll(f.sqs, f.queueUrl)).toHaveLength(0);
  });

  it('puts back the inline records of our own message', async () => {
    const f = await fixture(10);
    await send(f, recordMessage(f, [2, 5, 7]));
    const report = await run(f);
    expect(report).toMatchObject({ replayed: 1, recordsReplayed: 3 });
    expect(texts((await readAllRecords(f.kinesis, f.stream)).slice(10))).toEqual(
      texts([2, 5, 7].map((i) => f.onStream[i] ?? {})),
    );
  });

  it('reports a range the stream no longer fully holds as expired and keeps it, unless told to drop it', async () => {
    const f = await fixture(20);
    const beforeFirst = (BigInt(f.onStream[0]?.SequenceNumber ?? '0') - 1n).toString();
    await send(f, onFailureMessage(f, 0, 9, 11, beforeFirst));
    const kept = await run(f);
    expect(kept).toMatchObject({
      messagesSeen: 1,
      replayed: 0,
      expired: 1,
      recordsLostToRetention: 1,
      recordsReplayed: 0,
    });
    expect((await readAllRecords(f.kinesis, f.stream)).length).toBe(20);
    expect(await receiveAll(f.sqs, f.queueUrl)).toHaveLength(1);
  });

  it('with dropExpired puts back what is left and drops the message', async () => {
    const f = await fixture(20);
    const beforeFirst = (BigInt(f.onStream[0]?.SequenceNumber ?? '0') - 1n).toString();
    await send(f, onFailureMessage(f, 0, 9, 11, beforeFirst));
    const dropped = await run(f, { dropExpired: true });
    expect(dropped).toMatchObject({ expired: 1, recordsLostToRetention: 1 });
    expect((await readAllRecords(f.kinesis, f.stream)).length).toBe(20 + dropped.recordsReplayed);
    expect(await receiveAll(f.sqs, f.queueUrl)).toHaveLength(0);
  });

  it('changes nothing in a dry run, and the messages are there for the real run right after', async () => {
    const f = await fixture(30);
    await send(f, onFailureMessage(f, 0, 9));
    await send(f, recordMessage(f, [11, 12]));
    const dry = await run(f, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, messagesSeen: 2, replayed: 2, recordsReplayed: 12 });
    expect((await readAllRecords(f.kinesis, f.stream)).length).toBe(30);
    const real = await run(f);
    expect(real).toMatchObject({ messagesSeen: 2, replayed: 2, recordsReplayed: 12 });
    expect((await readAllRecords(f.kinesis, f.stream)).length).toBe(42);
  });

  it('keeps a message whose records could not be put', async () => {
    const f = await fixture(10);
    await send(f, recordMessage(f, [1, 2]));
    const report = await run(f, { targetStream: 'no-such-stream' });
    expect(report).toMatchObject({ messagesSeen: 1, replayed: 0, failed: 1, recordsReplayed: 0 });
    expect(report.problems[0]).toContain('ResourceNotFoundException');
    expect(await receiveAll(f.sqs, f.queueUrl)).toHaveLength(1);
  });

  it('filters by reason, leaves unreadable messages, and stops at maxMessages', async () => {
    const f = await fixture(10);
    await send(f, recordMessage(f, [1], 'invalid-json'));
    await send(f, recordMessage(f, [2], 'db-rejected'));
    await send(f, 'not a dead letter');
    const filtered = await run(f, { filter: { reasons: ['db-rejected'] } });
    expect(filtered).toMatchObject({ messagesSeen: 3, replayed: 1, skipped: 1, unreadable: 1, recordsReplayed: 1 });
    await send(f, recordMessage(f, [3]));
    await send(f, recordMessage(f, [4]));
    const limited = await run(f, { maxMessages: 1, filter: { reasons: ['db-rejected'] } });
    expect(limited.stoppedBecause).toBe('max-messages');
    expect(limited.messagesSeen).toBe(1);
  });
});

describe('replay twice, then the consumer', () => {
  it('leaves Postgres with each event once', async () => {
    const kinesis = testKinesis();
    const sqs = testSqs();
    const stream = await createStream(kinesis, 1);
    const queueUrl = await createQueue(sqs);
    const events = Array.from({ length: 40 }, (_, i) => ({
      data: encodeEvent({
        v: 2,
        tenant: 'test',
        eventId: randomUUID(),
        source: `s${i % 3}`,
        type: 'invocation',
        timestamp: new Date().toISOString(),
        durationMs: i,
        payload: { i },
        receivedAt: new Date().toISOString(),
      }),
      partitionKey: `s${i % 3}`,
    }));
    await putRecords(kinesis, events, { stream: { streamName: stream }, deadline: Date.now() + 10_000 });
    const f: Fixture = { kinesis, sqs, stream, queueUrl, onStream: await readAllRecords(kinesis, stream) };
    // The same failed range dead-lettered twice (Lambda retried a batch that had already been sent), replayed twice.
    await send(f, onFailureMessage(f, 5, 24));
    expect(await run(f)).toMatchObject({ replayed: 1, recordsReplayed: 20 });
    await send(f, onFailureMessage(f, 5, 24));
    expect(await run(f)).toMatchObject({ replayed: 1, recordsReplayed: 20 });
    const all = await readAllRecords(kinesis, stream);
    expect(all).toHaveLength(80);

    const db = await freshDatabase();
    const connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }));
    try {
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      await applyMigrations(admin);
      await admin.end();
      const result = await processBatch(toShardRecords(all, streamArnOf(stream)), {
        db: connection,
        sqs,
        dlqUrl: queueUrl,
        maxMessageBytes: 262_144,
        functionName: 'consumer',
      });
      expect(result.stats).toMatchObject({ written: 40, duplicates: 40, poison: 0 });
      const { rows } = await connection.query<{ n: string; d: string }>(
        'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM telemetry_events',
      );
      expect(rows[0]).toEqual({ n: '40', d: '40' });
    } finally {
      await connection.close();
      await db.drop();
    }
  });
});

describe('replayQueue pipelining', () => {
  it('receives and reads the next batch while the last one is being put; deletes only what is in', async () => {
    const f = await fixture(300);
    for (let m = 0; m < 30; m += 1)
      await send(
        f,
        recordMessage(
          f,
          Array.from({ length: 10 }, (_, i) => m * 10 + i),
        ),
      );
    // Each PutRecords takes 150 ms (a slow stream); the receives are timed against them.
    const puts: { start: number; end: number }[] = [];
    const receives: number[] = [];
    f.kinesis.middlewareStack.add(
      (next) => async (args) => {
        if (!Array.isArray((args.input as { Records?: unknown }).Records)) return next(args);
        const span = { start: performance.now(), end: Number.POSITIVE_INFINITY };
        puts.push(span);
        await new Promise((resolve) => setTimeout(resolve, 150));
        try {
          return await next(args);
        } finally {
          span.end = performance.now();
        }
      },
      { step: 'initialize', name: 'slow-puts' },
    );
    f.sqs.middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { MaxNumberOfMessages?: number }).MaxNumberOfMessages !== undefined)
          receives.push(performance.now());
        return next(args);
      },
      { step: 'initialize', name: 'receives' },
    );
    const report = await run(f);
    expect(report).toMatchObject({ replayed: 30, failed: 0, recordsReplayed: 300 });
    expect(puts.length).toBeGreaterThanOrEqual(3);
    const overlapping = receives.filter((at) => puts.some((put) => put.start < at && at < put.end));
    expect(overlapping.length).toBeGreaterThan(0);
    expect(await receiveAll(f.sqs, f.queueUrl)).toEqual([]);
    expect(await readAllRecords(f.kinesis, f.stream)).toHaveLength(600);
  }, 60_000);
});
