/**
 * The replay's third kind of message: S3's notification of a failed batch in the failures bucket
 * (failureDestination s3). Real fauxqs S3 and SQS, real kinesalite; the objects are shaped as the
 * emulator writes them (AWS's recorded shape: the on-failure record plus payload.Records exactly as
 * the function received them), the notifications as the local stack sends them.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildKinesisEvent, toStreamRecord } from '../../emulator/src';
import { putRecords } from '../../lib/kinesis/putRecords';
import { streamResolver } from '../../lib/kinesis/streamRef';
import { replayQueue, type ReplayOptions } from '../../lib/replay/replayQueue';
import { s3ObjectCreatedEvent } from '../../local/src/stack/s3Notifications';
import { s3TestEvent } from '../helpers/s3Events';
import { peekQueue } from '../../scripts/replay/peek';
import { streamArnOf } from '../helpers/kinesisEvent';
import { createQueue, createStream, readAllRecords, testKinesis, testS3, testSqs, uniqueName } from '../helpers/local';

interface Fixture {
  kinesis: KinesisClient;
  sqs: SQSClient;
  s3: S3Client;
  stream: string;
  queueUrl: string;
  bucket: string;
  onStream: Awaited<ReturnType<typeof readAllRecords>>;
}

async function fixture(count = 40): Promise<Fixture> {
  const kinesis = testKinesis();
  const sqs = testSqs();
  const s3 = testS3();
  const stream = await createStream(kinesis, 1);
  const queueUrl = await createQueue(sqs);
  const bucket = uniqueName('failures');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const records = Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(JSON.stringify({ i })),
    partitionKey: `k${i % 4}`,
  }));
  await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 });
  return { kinesis, sqs, s3, stream, queueUrl, bucket, onStream: await readAllRecords(kinesis, stream) };
}

/** Records [from, to] of the shard as a failed-batch object: the on-failure record plus payload.Records. */
function failedBatch(f: Fixture, from: number, to: number, condition = 'RetryAttemptsExhausted'): string {
  const batch = f.onStream.slice(from, to + 1);
  const first = batch[0];
  const last = batch[batch.length - 1];
  const shardId = first?.shardId ?? '';
  const event = buildKinesisEvent(
    batch.map((r) => toStreamRecord(r, shardId, Date.now())),
    {
      streamArn: streamArnOf(f.stream),
      region: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer',
    },
  );
  return JSON.stringify({
    requestContext: {
      requestId: 'b3f1c1a2-6f3e-4c1e-9d8e-0a1b2c3d4e5f',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
      condition,
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: first?.SequenceNumber,
      endSequenceNumber: last?.SequenceNumber,
      approximateArrivalOfFirstRecord: first?.ApproximateArrivalTimestamp?.toISOString(),
      approximateArrivalOfLastRecord: last?.ApproximateArrivalTimestamp?.toISOString(),
      batchSize: batch.length,
      streamArn: streamArnOf(f.stream),
    },
    payload: event,
  });
}

/** Stores `body` under a key like Lambda's (with a space, which S3 sends encoded) and announces it. */
async function store(f: Fixture, body: string, name = uniqueName('2026-12-02T01.02.03 x')): Promise<string> {
  const key = `aws/lambda/7f3c9a1e-0000-4000-8000-000000000000/shardId-000000000000/2026/12/02/${name}`;
  await f.s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: key, Body: body }));
  await announce(f, key, body);
  return key;
}

async function announce(f: Fixture, key: string, body: string): Promise<void> {
  const notification = s3ObjectCreatedEvent({
    bucket: f.bucket,
    key,
    size: Buffer.byteLength(body),
    region: 'us-east-1',
    body,
  });
  await f.sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: notification }));
}

function run(f: Fixture, options: Partial<ReplayOptions> = {}) {
  return replayQueue(
    {
      sqs: f.sqs,
      s3: f.s3,
      kinesisFor: () => f.kinesis,
      resolveStream: streamResolver({ region: 'us-east-1', streamAddressing: 'name' }),
    },
    { queueUrl: f.queueUrl, deadline: Date.now() + 30_000, ...options },
  );
}

const texts = (records: { Data?: Uint8Array }[]): string[] => records.map((r) => Buffer.from(r.Data ?? []).toString());

/** Counts the queue's visible messages without receiving them (a receive would hide them from the next run). */
async function visibleMessages(f: Fixture): Promise<number> {
  const { Attributes = {} } = await f.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: f.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

async function objectExists(f: Fixture, key: string): Promise<boolean> {
  return f.s3
    .send(new GetObjectCommand({ Bucket: f.bucket, Key: key }))
    .then(() => true)
    .catch(() => false);
}

describe('replayQueue: failed batches in the failures bucket', () => {
  it('puts back the records of the object a notification names, in order, deletes the message and leaves the object', async () => {
    const f = await fixture();
    const key = await store(f, failedBatch(f, 5, 24));
    const report = await run(f);
    expect(report).toMatchObject({
      messagesSeen: 1,
      replayed: 1,
      expired: 0,
      failed: 0,
      unreadable: 0,
      recordsReplayed: 20,
      recordsFrom: { inline: 0, s3: 20, reRead: 0 },
    });
    const after = await readAllRecords(f.kinesis, f.stream);
    expect(texts(after.slice(40))).toEqual(texts(f.onStream.slice(5, 25)));
    expect(after.slice(40).map((r) => r.PartitionKey)).toEqual(f.onStream.slice(5, 25).map((r) => r.PartitionKey));
    expect(await visibleMessages(f)).toBe(0);
    // Left to the bucket's lifecycle expiry.
    expect(await objectExists(f, key)).toBe(true);
  });

  it('needs nothing from the stream: records gone from it still come back from the object', async () => {
    const f = await fixture(10);
    const body = failedBatch(f, 0, 9);
    // Another, empty stream of the same name: what the records' stream holds after retention or a re-creation.
    const emptied = await fixture(0);
    await store(emptied, body.replaceAll(f.stream, emptied.stream));
    const report = await run(emptied);
    expect(report).toMatchObject({ replayed: 1, expired: 0, recordsLostToRetention: 0, recordsReplayed: 10 });
    expect(texts(await readAllRecords(emptied.kinesis, emptied.stream))).toEqual(texts(f.onStream));
  });

  it('deletes S3 test events (they name nothing), and keeps them in a dry run', async () => {
    const f = await fixture(0);
    await f.sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: s3TestEvent(f.bucket) }));
    const dry = await run(f, { dryRun: true });
    expect(dry).toMatchObject({ messagesSeen: 1, ignored: 1, unreadable: 0, replayed: 0 });
    expect(await visibleMessages(f)).toBe(1);
    const real = await run(f);
    expect(real).toMatchObject({ messagesSeen: 1, ignored: 1, unreadable: 0, failed: 0 });
    expect(await visibleMessages(f)).toBe(0);
  });

  it('reports an object that is gone or is not a failed batch, and keeps its message and the object', async () => {
    const f = await fixture(10);
    await announce(f, 'aws/lambda/x/shardId-000000000000/2026/12/02/never-written', '{}');
    const bad = await store(f, '{"requestContext": {"condition": "RetryAttemptsExhausted"}}');
    const report = await run(f);
    expect(report).toMatchObject({ messagesSeen: 2, unreadable: 2, replayed: 0, recordsReplayed: 0 });
    expect(report.problems.join('\n')).toContain('NoSuchKey');
    expect(report.problems.join('\n')).toContain(
      `s3://${f.bucket}/${bad}: failed-batch object has no KinesisBatchInfo`,
    );
    expect(await visibleMessages(f)).toBe(2);
    expect(await objectExists(f, bad)).toBe(true);
    expect(await readAllRecords(f.kinesis, f.stream)).toHaveLength(10);
  });

  it('honours a dry run and the reason, shard and time filters', async () => {
    const f = await fixture(30);
    await store(f, failedBatch(f, 0, 9, 'RetryAttemptsExhausted'));
    await store(f, failedBatch(f, 10, 19, 'RecordAgeExceeded'));
    const dry = await run(f, { dryRun: true });
    expect(dry).toMatchObject({ messagesSeen: 2, replayed: 2, recordsReplayed: 20, recordsFrom: { s3: 20 } });
    expect(await readAllRecords(f.kinesis, f.stream)).toHaveLength(30);
    expect(await visibleMessages(f)).toBe(2);

    const otherShard = await run(f, { filter: { shardIds: ['shardId-000000000009'] } });
    expect(otherShard).toMatchObject({ skipped: 2, replayed: 0 });
    const future = await run(f, { filter: { since: Date.now() + 60_000 } });
    expect(future).toMatchObject({ skipped: 2, replayed: 0 });
    const aged = await run(f, { filter: { reasons: ['RecordAgeExceeded'] } });
    expect(aged).toMatchObject({ skipped: 1, replayed: 1, recordsReplayed: 10 });
    expect(texts((await readAllRecords(f.kinesis, f.stream)).slice(30))).toEqual(texts(f.onStream.slice(10, 20)));
    expect(await visibleMessages(f)).toBe(1);
  });

  it('keeps the message when the bucket cannot be read this time (S3 throttling), and replays it next run', async () => {
    const f = await fixture(10);
    await store(f, failedBatch(f, 0, 9));
    // Injected: fauxqs never throttles. The SDK's retries are spent, the error reaches the replay.
    const throttled = testS3();
    throttled.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server' });
      },
      { step: 'finalizeRequest', name: 'throttle' },
    );
    const first = await run({ ...f, s3: throttled });
    expect(first).toMatchObject({ failed: 1, replayed: 0, unreadable: 0 });
    expect(first.problems[0]).toContain('could not read its records: Please reduce your request rate.');
    expect(await visibleMessages(f)).toBe(1);
    const second = await run(f);
    expect(second).toMatchObject({ replayed: 1, recordsReplayed: 10 });
  });
});

describe('peekQueue (npm run replay -- --peek)', () => {
  it('groups what the queue holds by kind, reason, shard and hour, with decoded samples, and changes nothing', async () => {
    const f = await fixture(30);
    await store(f, failedBatch(f, 0, 9, 'RetryAttemptsExhausted'));
    await store(f, failedBatch(f, 10, 14, 'RetryAttemptsExhausted'));
    await store(f, failedBatch(f, 15, 19, 'RecordAgeExceeded'));
    const send = (body: string) => f.sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: body }));
    await send(s3TestEvent(f.bucket));
    await send('not a dead letter');
    await announce(f, 'aws/lambda/x/shardId-000000000000/2026/12/02/never-written', '{}');

    const report = await peekQueue(
      { sqs: f.sqs, s3: f.s3 },
      { queueUrl: f.queueUrl, maxMessages: 100, samples: 3, deadline: Date.now() + 30_000 },
    );
    const shardId = f.onStream[0]?.shardId;
    const hour = f.onStream[0]?.ApproximateArrivalTimestamp?.toISOString().slice(0, 13);
    expect(report.messages).toBe(6);
    expect(report.truncated).toBe(false);
    expect(report.groups).toEqual([
      { kind: 'failed batch (in S3)', reason: 'RecordAgeExceeded', shardId, hour, messages: 1, records: 5 },
      { kind: 'failed batch (in S3)', reason: 'RetryAttemptsExhausted', shardId, hour, messages: 2, records: 15 },
      { kind: 'S3 test event', reason: '-', shardId: '-', hour: expect.any(String), messages: 1, records: 0 },
    ]);
    expect(report.samples).toEqual(
      [0, 1, 2].map((i) => ({
        kind: 'failed batch (in S3)',
        reason: 'RetryAttemptsExhausted',
        partitionKey: `k${i}`,
        data: JSON.stringify({ i }),
      })),
    );
    expect(report.unreadable).toHaveLength(2);
    expect(report.unreadable.join('\n')).toMatch(/not JSON[\s\S]*NoSuchKey|NoSuchKey[\s\S]*not JSON/);
    // Nothing deleted, nothing hidden, nothing put.
    expect(await visibleMessages(f)).toBe(6);
    expect(await readAllRecords(f.kinesis, f.stream)).toHaveLength(30);

    const first = await peekQueue(
      { sqs: f.sqs, s3: f.s3 },
      { queueUrl: f.queueUrl, maxMessages: 2, deadline: Date.now() + 30_000 },
    );
    expect(first).toMatchObject({ messages: 2, truncated: true });
  });
});
