import path from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { createS3Client } from '../../lib/aws/s3Client';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { createSqsClient } from '../../lib/aws/sqsClient';
import type { AwsConfig } from '../../lib/config';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { LambdaFailureRecord } from '../../lib/dlq/lambdaFailure';
import { loadServerlessConfig, streamMappingsFromConfig } from '../../local/src/serverlessConfig';
import { runLoad, type RequestOutcome } from '../../local/src/load';
import { startLocalStack, type LocalStack } from '../../local/src/stack';
import { replayDeps } from '../../lib/replay/deps';
import { replayQueue } from '../../lib/replay/replayQueue';
import { decodeEvent } from '../../lib/telemetry/event';
import { readAllRecords } from '../helpers/local';
import { startServicesChild, type ServicesChild } from '../../local/src/servicesChild';
import { startStoppablePostgres, type StoppablePostgres } from '../helpers/stoppablePostgres';

// End to end through HTTP with Postgres stopped in the middle: ingest keeps answering 202 (it does
// not need the database), the consumer fails every batch, the mapping (serverless.yml's local stage:
// bisect on, a few retries) gives up and sends each failed batch to its on-failure destination, and
// after Postgres is back the replay turns them into rows. Both destinations a stage can choose:
//  - s3 (the default): the batch, records included, in the failures bucket, announced on the DLQ.
//    The stream is then deleted and re-created, so the records exist only in the bucket;
//  - sqs: Lambda's metadata-only record on the DLQ, its range re-read from the stream.
// Every failed batch is bisected down to single records, each retried and then dead-lettered on its
// own: that is what makes this slow per record, so the halves are a few hundred events each.

const HALF = 250;
const root = path.resolve(__dirname, '..', '..');

/** Every message on the queue, read without consuming it: each is made visible again at once. */
async function peekAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (let calls = 0; calls < 500; calls += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) seen.set(message.MessageId ?? '', message);
  }
  const all = [...seen.values()];
  for (let i = 0; i < all.length; i += 10) {
    const entries = all
      .slice(i, i + 10)
      .map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
  return all;
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** AWS's key for an S3 on-failure object, as recorded. */
const OBJECT_KEY = new RegExp(
  `^aws/lambda/${UUID}/shardId-\\d{12}/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-${UUID}$`,
);

/** The stream deleted and gone: what retention does to its records, all at once. */
async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
  for (let i = 0; i < 100; i += 1) {
    const gone = await kinesis
      .send(new DescribeStreamSummaryCommand({ StreamName: name }))
      .then(() => false)
      .catch((error: { name?: string }) => error.name === 'ResourceNotFoundException');
    if (gone) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${name} was not deleted within 5 s`);
}

async function storedIds(url: string): Promise<string[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ event_id: string }>('SELECT event_id::text AS event_id FROM telemetry_events');
    return rows.map((r) => r.event_id).sort();
  } finally {
    await db.end();
  }
}

const TIMING = {
  pollIntervalMs: 200,
  shardDiscoveryIntervalMs: 500,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
  onFailureRetryDelayMs: 100,
};

// One Postgres and one services child for both runs: the handlers build their clients once per
// process, so a second set of services would not be seen by them.
let pg: StoppablePostgres;
let services: ServicesChild;
const savedLogLevel = process.env.LOCAL_LOG_LEVEL;

beforeAll(async () => {
  // The consumer logs an ERROR for each of the ~1,000 invocations that fail on purpose here.
  process.env.LOCAL_LOG_LEVEL = 'CRITICAL';
  pg = await startStoppablePostgres();
  // The services child makes its database on this Postgres (no embedded one of its own).
  services = await startServicesChild({ ...process.env, DATABASE_URL: pg.url });
}, 60_000);

afterAll(async () => {
  await services?.stop();
  await pg?.close();
  if (savedLogLevel === undefined) delete process.env.LOCAL_LOG_LEVEL;
  else process.env.LOCAL_LOG_LEVEL = savedLogLevel;
}, 60_000);

/** The next run starts from nothing: no rows, no checkpoints. */
async function emptyDatabase(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('TRUNCATE telemetry_events, shard_checkpoints');
  } finally {
    await db.end();
  }
}

describe.each(['s3', 'sqs'] as const)(
  'end to end (failureDestination %s): a Postgres outage mid-run, then the replay',
  (destination) => {
    let stack: LocalStack;
    let maximumRetryAttempts: number;
    let consumerArn: string;

    const params = { failureDestination: destination };
    // Short retry delays: the retry count and bisection are serverless.yml's, only the waits shrink.
    const start = () => startLocalStack({ port: 0, root, services, params, esmTiming: TIMING });

    beforeAll(async () => {
      const [started, config] = await Promise.all([
        start(),
        loadServerlessConfig({ cwd: root, stage: 'local', params }),
      ]);
      stack = started;
      const consumer = streamMappingsFromConfig(config, { region: stack.region }).find(
        (m) => m.functionKey === 'consumer',
      );
      if (!consumer) throw new Error('serverless.yml has no consumer stream mapping');
      expect(consumer.mapping).toMatchObject({
        bisectBatchOnFunctionError: true,
        onFailure:
          destination === 's3'
            ? { bucketArn: expect.stringMatching(/^arn:aws:s3:::/) }
            : { queueArn: expect.any(String) },
      });
      maximumRetryAttempts = consumer.mapping.maximumRetryAttempts;
      consumerArn = consumer.functionArn;
    }, 90_000);
    afterAll(async () => {
      if (!stack) return;
      await stack.stop();
      await emptyDatabase(services.databaseUrl);
      // The next run's stack makes its streams anew.
      const kinesis = createKinesisClient({
        region: stack.region,
        kinesisEndpoint: stack.kinesisEndpoint,
        sqsEndpoint: undefined,
        streamAddressing: 'name',
      });
      for (const stream of [stack.streamName, ...stack.relayTargetStreams])
        await deleteStream(kinesis, stream.split('/').pop() ?? stream);
      kinesis.destroy();
    }, 60_000);

    it('keeps accepting while Postgres is down, dead-letters the failed batches, and the replay stores every event once', async () => {
      const aws: AwsConfig = {
        region: stack.region,
        kinesisEndpoint: stack.kinesisEndpoint,
        sqsEndpoint: stack.sqsEndpoint,
        s3Endpoint: stack.s3Endpoint,
        streamAddressing: 'name',
      };
      const kinesis = createKinesisClient(aws);
      const sqs = createSqsClient(aws);
      const s3 = createS3Client(aws);
      const send = async (seed: number): Promise<string[]> => {
        const outcomes: RequestOutcome[] = [];
        const stats = await runLoad({
          apiUrl: stack.apiUrl,
          apiKey: stack.apiKey,
          rate: 1_000,
          durationSeconds: 30,
          events: HALF,
          batchSize: 50,
          seed,
          onResponse: (o) => outcomes.push(o),
        });
        expect(stats).toMatchObject({ eventsSent: HALF, accepted: HALF, byStatus: { '202': HALF / 50 } });
        return outcomes.flatMap((o) => o.acceptedIds);
      };

      const first = await send(1);
      await stack.drained(30_000);
      expect(await storedIds(services.databaseUrl)).toEqual([...first].sort());

      await pg.stop();
      const second = await send(2);
      // Drained = every record processed or handed to the on-failure destination.
      await stack.drained(45_000);
      const consumer = stack.mappings.consumer?.stats;
      expect(consumer).toMatchObject({ recordsSentToOnFailure: HALF, onFailureSendErrors: 0 });
      const onFailureMessages = consumer?.onFailureMessages ?? -1;

      // Each message names (s3) or is (sqs) Lambda's on-failure record, in AWS's shape, and together
      // they cover exactly the second half.
      const messages = await peekAll(sqs, stack.dlqUrl);
      expect(messages).toHaveLength(onFailureMessages);
      const onStream = await readAllRecords(kinesis, stack.streamName);
      const bySequence = new Map<string, string>();
      for (const record of onStream) {
        const decoded = decodeEvent(record.Data ?? new Uint8Array());
        if (decoded.ok) bySequence.set(`${record.shardId}/${record.SequenceNumber}`, decoded.event.eventId);
      }
      const covered: string[] = [];
      for (const message of messages) {
        const parsed = parseDlqMessage(message.Body ?? '');
        let text = message.Body ?? '';
        if (destination === 's3') {
          if (parsed.kind !== 's3-objects') throw new Error(`expected an S3 notification, got ${text.slice(0, 200)}`);
          const [object] = parsed.message.objects;
          expect(parsed.message.objects).toHaveLength(1);
          expect(object?.bucket).toBe(stack.failuresBucket);
          expect(object?.key).toMatch(OBJECT_KEY);
          const stored = await s3.send(new GetObjectCommand({ Bucket: object?.bucket, Key: object?.key }));
          text = (await stored.Body?.transformToString()) ?? '';
        } else if (parsed.kind !== 'lambda-failure')
          throw new Error(`expected Lambda's on-failure record, got ${text.slice(0, 200)}`);
        const body = JSON.parse(text) as LambdaFailureRecord & {
          payload?: { Records: { kinesis: { data: string; sequenceNumber: string } }[] };
        };
        expect(Object.keys(body)).toEqual([
          'requestContext',
          'responseContext',
          'version',
          'timestamp',
          'KinesisBatchInfo',
          ...(destination === 's3' ? ['payload'] : []),
        ]);
        expect(body.requestContext).toMatchObject({
          condition: 'RetryAttemptsExhausted',
          functionArn: consumerArn,
          // Bisection does not use up retries: every leaf is invoked once, then retried.
          approximateInvokeCount: maximumRetryAttempts + 1,
        });
        expect(body.responseContext).toEqual({
          statusCode: 200,
          executedVersion: '$LATEST',
          functionError: 'Unhandled',
        });
        expect(body.version).toBe('1.0');
        expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
        const info = body.KinesisBatchInfo;
        expect(info).toMatchObject({ streamArn: stack.streamArn, shardId: expect.stringMatching(/^shardId-\d{12}$/) });
        const inRange = onStream.filter(
          (record) =>
            record.shardId === info.shardId &&
            BigInt(record.SequenceNumber ?? '') >= BigInt(info.startSequenceNumber) &&
            BigInt(record.SequenceNumber ?? '') <= BigInt(info.endSequenceNumber),
        );
        expect(inRange).toHaveLength(info.batchSize);
        // With S3, the batch's records as the function received them: the data, byte for byte.
        if (destination === 's3')
          expect(body.payload?.Records.map((r) => [r.kinesis.sequenceNumber, r.kinesis.data])).toEqual(
            inRange.map((r) => [r.SequenceNumber, Buffer.from(r.Data ?? []).toString('base64')]),
          );
        covered.push(...inRange.map((r) => bySequence.get(`${r.shardId}/${r.SequenceNumber}`) ?? ''));
      }
      expect(covered.sort()).toEqual([...second].sort());
      expect(await queueDepth(sqs, stack.dlqUrl)).toBe(onFailureMessages);

      if (destination === 's3') {
        // The records leave the stream (all at once, as retention would take them over time): a fresh
        // stack over the same services finds a new, empty stream and the DLQ and bucket as they were.
        await stack.stop();
        await deleteStream(kinesis, stack.streamName);
        // Before the stack starts again: it applies the migrations first.
        await pg.start();
        stack = await start();
        expect(await readAllRecords(kinesis, stack.streamName)).toHaveLength(0);
      } else await pg.start();
      const report = await replayQueue(replayDeps(aws), { queueUrl: stack.dlqUrl, deadline: Date.now() + 60_000 });
      expect(report).toMatchObject({
        messagesSeen: onFailureMessages,
        replayed: onFailureMessages,
        recordsReplayed: HALF,
        recordsFrom: destination === 's3' ? { inline: 0, s3: HALF, reRead: 0 } : { inline: 0, s3: 0, reRead: HALF },
        expired: 0,
        failed: 0,
        unreadable: 0,
        recordsLostToRetention: 0,
        stoppedBecause: 'drained',
      });
      await stack.drained(30_000);

      expect(await storedIds(services.databaseUrl)).toEqual([...first, ...second].sort());
      expect(await queueDepth(sqs, stack.dlqUrl)).toBe(0);
      kinesis.destroy();
      sqs.destroy();
      s3.destroy();
    }, 150_000);
  },
);
