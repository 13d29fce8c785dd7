/**
 * Test-side access to the real local services started by globalSetup: clients, fresh streams,
 * queues and databases with unique names (test files run in parallel workers), and a reader that
 * returns everything on a stream.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient, type Message } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { createS3Client } from '../../lib/aws/s3Client';
import { createSsmClient } from '../../lib/aws/ssmClient';
import { createSqsClient } from '../../lib/aws/sqsClient';
import type { AwsConfig } from '../../lib/config';
import { MIGRATIONS_DIR } from '../../lib/db/migrate';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: is jest's globalSetup running?`);
  return value;
}

export function testAwsConfig(): AwsConfig {
  return {
    region: 'us-east-1',
    kinesisEndpoint: required('TEST_KINESIS_ENDPOINT'),
    sqsEndpoint: required('TEST_SQS_ENDPOINT'),
    // fauxqs serves S3 on the same port as SQS.
    s3Endpoint: required('TEST_SQS_ENDPOINT'),
    ssmEndpoint: required('TEST_SSM_ENDPOINT'),
    streamAddressing: 'name',
  };
}

export function testKinesis(): KinesisClient {
  return createKinesisClient(testAwsConfig());
}

export function testSqs(): SQSClient {
  return createSqsClient(testAwsConfig());
}

export function testS3(): S3Client {
  return createS3Client(testAwsConfig());
}

/** The local SSM stand-in (local/src/ssmServer.ts), where the key store lives in tests. */
export function testSsm(): SSMClient {
  return createSsmClient(testAwsConfig());
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(
  kinesis: KinesisClient,
  shardCount = 1,
  name = uniqueName('stream'),
): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  for (let i = 0; i < 100; i += 1) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

export async function createQueue(sqs: SQSClient, name = uniqueName('dlq')): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  return QueueUrl;
}

/** Every record on every shard of a stream, shard by shard, in sequence order. */
export async function readAllRecords(
  kinesis: KinesisClient,
  streamName: string,
): Promise<(_Record & { shardId: string })[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const out: (_Record & { shardId: string })[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId ?? '';
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    for (let calls = 0; iterator && calls < 1000; calls += 1) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) out.push({ ...record, shardId });
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** Drains up to `max` messages from a queue (receives without deleting; visibility hides them). */
export async function receiveAll(sqs: SQSClient, queueUrl: string, max = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  for (let calls = 0; out.length < max && calls < 2000; calls += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    out.push(...Messages);
  }
  return out;
}

/** A fresh, empty database on the test server; drop it with the returned function. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = required('TEST_DATABASE_URL');
  const name = `t_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Every migration in migrations/, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = readdirSync(MIGRATIONS_DIR)
  .filter((name) => /^\d+_.+\.sql$/.test(name))
  .sort();
