import path from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Client } from 'pg';
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
// bisect on, a few retries) gives up and sends Lambda's on-failure records to the DLQ, and after
// Postgres is back the replay turns them into rows. Every failed batch is bisected down to single
// records, each retried and then dead-lettered on its own, and the replay re-reads one range per
// message: that is what makes this slow per record, so the halves are a few hundred events each.

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

describe('end to end: a Postgres outage mid-run, then the replay', () => {
  let pg: StoppablePostgres;
  let services: ServicesChild;
  let stack: LocalStack;
  let maximumRetryAttempts: number;
  let consumerArn: string;

  const savedLogLevel = process.env.LOCAL_LOG_LEVEL;

  beforeAll(async () => {
    // The consumer logs an ERROR for each of the ~1,000 invocations that fail on purpose here.
    process.env.LOCAL_LOG_LEVEL = 'CRITICAL';
    pg = await startStoppablePostgres();
    // The services child makes its database on this Postgres (no embedded one of its own).
    services = await startServicesChild({ ...process.env, DATABASE_URL: pg.url });
    const [started, config] = await Promise.all([
      startLocalStack({
        port: 0,
        root,
        services,
        // Short retry delays: the retry count and bisection are serverless.yml's, only the waits shrink.
        esmTiming: {
          pollIntervalMs: 200,
          shardDiscoveryIntervalMs: 500,
          retryBaseDelayMs: 1,
          retryMaxDelayMs: 5,
          onFailureRetryDelayMs: 100,
        },
      }),
      loadServerlessConfig({ cwd: root, stage: 'local' }),
    ]);
    stack = started;
    const consumer = streamMappingsFromConfig(config, { region: stack.region }).find(
      (m) => m.functionKey === 'consumer',
    );
    if (!consumer) throw new Error('serverless.yml has no consumer stream mapping');
    expect(consumer.mapping).toMatchObject({ bisectBatchOnFunctionError: true, onFailure: expect.anything() });
    maximumRetryAttempts = consumer.mapping.maximumRetryAttempts;
    consumerArn = consumer.functionArn;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await services?.stop();
    await pg?.close();
    if (savedLogLevel === undefined) delete process.env.LOCAL_LOG_LEVEL;
    else process.env.LOCAL_LOG_LEVEL = savedLogLevel;
  }, 60_000);

  it('keeps accepting while Postgres is down, dead-letters the failed ranges, and the replay stores every event once', async () => {
    const aws: AwsConfig = {
      region: stack.region,
      kinesisEndpoint: stack.kinesisEndpoint,
      sqsEndpoint: stack.sqsEndpoint,
      streamAddressing: 'name',
    };
    const kinesis = createKinesisClient(aws);
    const sqs = createSqsClient(aws);
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

    // Lambda's on-failure records, in AWS's shape, whose ranges cover exactly the second half.
    const messages = await peekAll(sqs, stack.dlqUrl);
    expect(messages).toHaveLength(onFailureMessages);
    const bySequence = new Map<string, string>();
    for (const record of await readAllRecords(kinesis, stack.streamName)) {
      const decoded = decodeEvent(record.Data ?? new Uint8Array());
      if (decoded.ok) bySequence.set(`${record.shardId}/${record.SequenceNumber}`, decoded.event.eventId);
    }
    const covered: string[] = [];
    for (const message of messages) {
      const body = JSON.parse(message.Body ?? '') as LambdaFailureRecord;
      expect(Object.keys(body)).toEqual([
        'requestContext',
        'responseContext',
        'version',
        'timestamp',
        'KinesisBatchInfo',
      ]);
      const parsed = parseDlqMessage(message.Body ?? '');
      if (parsed.kind !== 'lambda-failure')
        throw new Error(`expected Lambda's on-failure record, got ${message.Body?.slice(0, 200)}`);
      const failure = parsed.message;
      expect(failure.requestContext).toMatchObject({
        condition: 'RetryAttemptsExhausted',
        functionArn: consumerArn,
        // Bisection does not use up retries: every leaf is invoked once, then retried.
        approximateInvokeCount: maximumRetryAttempts + 1,
      });
      expect(failure.responseContext).toEqual({
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: 'Unhandled',
      });
      expect(failure.version).toBe('1.0');
      expect(Number.isNaN(Date.parse(failure.timestamp))).toBe(false);
      const info = failure.KinesisBatchInfo;
      expect(info).toMatchObject({ streamArn: stack.streamArn, shardId: expect.stringMatching(/^shardId-\d{12}$/) });
      const inRange = [...bySequence.entries()].filter(([key]) => {
        const [shard, sequence] = key.split('/') as [string, string];
        return (
          shard === info.shardId &&
          BigInt(sequence) >= BigInt(info.startSequenceNumber) &&
          BigInt(sequence) <= BigInt(info.endSequenceNumber)
        );
      });
      expect(inRange).toHaveLength(info.batchSize);
      covered.push(...inRange.map(([, eventId]) => eventId));
    }
    expect(covered.sort()).toEqual([...second].sort());
    expect(await queueDepth(sqs, stack.dlqUrl)).toBe(onFailureMessages);

    await pg.start();
    const report = await replayQueue(replayDeps(aws), { queueUrl: stack.dlqUrl, deadline: Date.now() + 60_000 });
    expect(report).toMatchObject({
      messagesSeen: onFailureMessages,
      replayed: onFailureMessages,
      recordsReplayed: HALF,
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
  }, 120_000);
});
