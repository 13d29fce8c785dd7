/** Streams and queues each round makes for itself and removes after, so rounds never share state. */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../lib/retry/policy';

/**
 * Creates a stream and waits (bounded) until it is ACTIVE.
 *
 * @example
 * await createStream(kinesis, 'bench-relay-0');
 */
export async function createStream(kinesis: KinesisClient, name: string, shards = 1): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 100; i += 1) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await sleep(50);
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/**
 * Deletes a stream; kinesalite then frees its records (a full run writes over a million).
 *
 * @example
 * await deleteStream(kinesis, 'bench-relay-0');
 */
export async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined);
}

/**
 * @example
 * const url = await createQueue(sqs, 'bench-replay-a-0');
 */
export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

/**
 * @example
 * await deleteQueue(sqs, url);
 */
export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
}
