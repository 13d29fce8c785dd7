/**
 * One emulator run for a test: a fresh kinesalite stream and fauxqs queue, records put before the
 * mapping starts (so its first read sees them all), a probing handler, and the on-failure messages.
 * Shared by esm.test.ts and conformance.test.ts.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { putRecords } from '../../../lib/kinesis/putRecords';
import { HandlerProbe } from '../../../__tests__/helpers/esmHandlers';
import { createQueue, createStream, receiveAll } from '../../../__tests__/helpers/local';
import {
  startEventSourceMapping,
  type EsmTiming,
  type EventSourceMapping,
  type KinesisBatchHandler,
  type MappingOptions,
  type OnFailureMessage,
} from '../../src';

export const REGION = 'us-east-1';
export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:esm-test';

/** Short waits so a test runs in seconds; conformance tests that time retries pass their own. */
export const TEST_TIMING: EsmTiming = {
  pollIntervalMs: 200,
  shardDiscoveryIntervalMs: 200,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 200,
  onFailureRetryDelayMs: 50,
};

export interface Harness {
  esm: EventSourceMapping;
  probe: HandlerProbe;
  stream: string;
  streamArn: string;
  queueUrl: string;
  queueArn: string;
  /** Sequence numbers of the records put, in put order. */
  put(data: string[], key?: (index: number) => string): Promise<string[]>;
  /** Every message on the queue, in the order they were sent. */
  onFailureMessages(): Promise<OnFailureMessage[]>;
}

export interface HarnessSetup {
  before?: (h: Pick<Harness, 'put' | 'stream'>) => Promise<void>;
  /** Mapping settings only known once `before` has run. */
  mappingAfterSetup?: () => Partial<MappingOptions>;
  timeoutMs?: number;
  shards?: number;
  sqsClient?: SQSClient;
  kinesisClient?: KinesisClient;
  /** Reuse another harness's stream and queue. */
  existing?: { stream: string; streamArn: string; queueUrl: string };
  resumeFrom?: Record<string, string>;
  timing?: EsmTiming;
  roleArn?: string;
  /** For an S3 on-failure destination (`mapping.onFailure: { bucketArn }`). */
  s3?: S3Client;
  uuid?: string;
}

export type StartHarness = (
  handler: KinesisBatchHandler,
  mapping: Partial<MappingOptions>,
  setup?: HarnessSetup,
) => Promise<Harness>;

/**
 * @param running the test file's list of started mappings, which its afterEach stops
 * @example
 * const harness = harnessFor(kinesis, sqs, running);
 * const h = await harness(alwaysThrow(), { maximumRetryAttempts: 2 }, { before: ({ put }) => put(['a']) });
 */
export function harnessFor(kinesis: KinesisClient, sqs: SQSClient, running: EventSourceMapping[]): StartHarness {
  const putData = async (stream: string, data: string[], key: (index: number) => string): Promise<string[]> => {
    const result = await putRecords(
      kinesis,
      data.map((item, index) => ({ data: Buffer.from(item), partitionKey: key(index) })),
      { stream: { streamName: stream }, deadline: Date.now() + 20_000 },
    );
    expect(result.failed).toEqual([]);
    return result.placements.map((placement) => placement?.sequenceNumber ?? '');
  };

  return async (handler, mapping, setup = {}) => {
    const stream = setup.existing?.stream ?? (await createStream(kinesis, setup.shards ?? 1));
    const queueUrl = setup.existing?.queueUrl ?? (await createQueue(sqs));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn ?? '';
    const streamArn = `arn:aws:kinesis:${REGION}:000000000000:stream/${stream}`;
    const put = (data: string[], key: (index: number) => string = () => 'key'): Promise<string[]> =>
      putData(stream, data, key);
    await setup.before?.({ put, stream });
    const probe = new HandlerProbe();
    const esm = startEventSourceMapping({
      kinesis: setup.kinesisClient ?? kinesis,
      sqs: setup.sqsClient ?? sqs,
      ...(setup.s3 ? { s3: setup.s3 } : {}),
      ...(setup.uuid ? { uuid: setup.uuid } : {}),
      ...(setup.resumeFrom ? { resumeFrom: setup.resumeFrom } : {}),
      stream: { name: stream, arn: streamArn },
      fn: {
        name: 'esm-test',
        arn: FUNCTION_ARN,
        handler: probe.wrap(handler),
        timeoutMs: setup.timeoutMs ?? 5_000,
        ...(setup.roleArn ? { roleArn: setup.roleArn } : {}),
      },
      mapping: {
        batchSize: 100,
        maximumBatchingWindowInSeconds: 0,
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: 0,
        maximumRecordAgeInSeconds: -1,
        bisectBatchOnFunctionError: false,
        parallelizationFactor: 1,
        reportBatchItemFailures: false,
        onFailure: { queueArn, queueUrl },
        ...mapping,
        ...setup.mappingAfterSetup?.(),
      },
      region: REGION,
      timing: setup.timing ?? TEST_TIMING,
    });
    running.push(esm);
    const onFailureMessages = async (): Promise<OnFailureMessage[]> =>
      (await receiveAll(sqs, queueUrl)).map((message: Message) => JSON.parse(message.Body ?? '') as OnFailureMessage);
    return { esm, probe, stream, streamArn, queueUrl, queueArn, put, onFailureMessages };
  };
}
