/**
 * The event-source-mapping emulator against kinesalite and fauxqs, driving real handler functions:
 * bisection, retries, the on-failure record (field by field, and its range re-read from the shard),
 * ReportBatchItemFailures checkpoints, order per partition key with a parallelization factor,
 * record age, timeouts, stop(), an unreachable destination, and a shard split then merge.
 */
import {
  DescribeStreamSummaryCommand,
  KinesisServiceException,
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { type SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { readRange } from '../../../lib/replay/readRange';
import type { EventSourceMapping, OnFailureMessage } from '../../src';
import { FUNCTION_ARN, type Harness, harnessFor, REGION, type StartHarness } from '../helpers/harness';
import {
  alwaysThrow,
  dataOf,
  failMarked,
  respondOnceWith,
  slowFirst,
  succeedAfter,
  throwOnPoison,
} from '../../../__tests__/helpers/esmHandlers';
import { readAllRecords, testKinesis, testSqs } from '../../../__tests__/helpers/local';

describe('Kinesis event source mapping emulator', () => {
  let kinesis: KinesisClient;
  let sqs: SQSClient;
  const running: EventSourceMapping[] = [];

  beforeAll(() => {
    kinesis = testKinesis();
    sqs = testSqs();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((esm) => esm.stop()));
  });

  const harness = (...args: Parameters<StartHarness>): Promise<Harness> => harnessFor(kinesis, sqs, running)(...args);

  it('builds the event and context exactly as Lambda does', async () => {
    const h = await harness(
      succeedAfter(),
      {},
      { before: async ({ put }) => void (await put(['hello', 'world'], (i) => `pk-${i}`)) },
    );
    await h.esm.drained();
    const event = h.probe.events[0];
    const onStream = await readRange(kinesis, {
      stream: { streamName: h.stream },
      shardId: 'shardId-000000000000',
      startSequenceNumber: event?.Records[0]?.kinesis.sequenceNumber ?? '',
      endSequenceNumber: event?.Records[1]?.kinesis.sequenceNumber ?? '',
      deadline: Date.now() + 5_000,
    });
    expect(event?.Records).toEqual(
      onStream.records.map((record, index) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${index}`,
          sequenceNumber: record.SequenceNumber,
          data: Buffer.from(index === 0 ? 'hello' : 'world').toString('base64'),
          approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${record.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/esm-test-role',
        awsRegion: REGION,
        eventSourceARN: h.streamArn,
      })),
    );
    const context = h.probe.contexts[0];
    expect(context).toMatchObject({
      functionName: 'esm-test',
      functionVersion: '$LATEST',
      invokedFunctionArn: FUNCTION_ARN,
      logGroupName: '/aws/lambda/esm-test',
    });
    expect(context?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.probe.batches[0]?.remainingMsAtStart).toBeGreaterThan(0);
    expect(h.probe.batches[0]?.remainingMsAtStart).toBeLessThanOrEqual(5_000);
    expect(h.esm.stats).toMatchObject({
      invocations: 1,
      recordsDelivered: 2,
      recordsSucceeded: 2,
      recordsCheckpointed: 2,
      lagMs: 0,
    });
    expect(h.esm.stats.shards).toEqual([
      {
        shardId: 'shardId-000000000000',
        state: 'reading',
        checkpoint: event?.Records[1]?.kinesis.sequenceNumber,
        pendingRecords: 0,
      },
    ]);
  });

  it('bisects a batch of 64 down to the one poison record in log2(64) levels, and sends exactly that record on', async () => {
    const data = Array.from({ length: 64 }, (_, i) => (i === 37 ? 'poison' : `ok-${i}`));
    let sequenceNumbers: string[] = [];
    const h = await harness(
      throwOnPoison(),
      { bisectBatchOnFunctionError: true, maximumRetryAttempts: 0 },
      {
        before: async ({ put }) => void (sequenceNumbers = await put(data)),
      },
    );
    await h.esm.drained();

    const failing = h.probe.batches.filter((batch) => batch.outcome === 'threw');
    // One failing invocation per level (64, 32, ..., 1), each followed by its healthy sibling half.
    expect(failing.map((batch) => batch.data.length)).toEqual([64, 32, 16, 8, 4, 2, 1]);
    expect(h.probe.batches).toHaveLength(1 + 2 * Math.log2(64));
    // Every other record succeeded exactly once, in shard order (the first half of a split goes first).
    expect(h.probe.returnedData()).toEqual(data.filter((item) => item !== 'poison'));
    expect(h.esm.stats).toMatchObject({
      bisections: 6,
      retries: 0,
      onFailureMessages: 1,
      recordsSentToOnFailure: 1,
      recordsCheckpointed: 64,
    });

    const messages = await h.onFailureMessages();
    expect(messages).toHaveLength(1);
    const info = messages[0]?.KinesisBatchInfo;
    expect(info).toMatchObject({
      startSequenceNumber: sequenceNumbers[37],
      endSequenceNumber: sequenceNumbers[37],
      batchSize: 1,
    });
    expect(messages[0]?.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 1,
    });
    const reread = await readRange(kinesis, {
      stream: { streamName: h.stream },
      shardId: info?.shardId ?? '',
      startSequenceNumber: info?.startSequenceNumber ?? '',
      endSequenceNumber: info?.endSequenceNumber ?? '',
      deadline: Date.now() + 5_000,
    });
    expect(reread.records.map((record) => Buffer.from(record.Data ?? []).toString())).toEqual(['poison']);
  });

  it('stops retrying at maximumRetryAttempts and sends an on-failure record in AWS shape whose range re-reads to the batch', async () => {
    const data = ['a', 'b', 'c', 'd', 'e'];
    let sequenceNumbers: string[] = [];
    const h = await harness(
      alwaysThrow(),
      { maximumRetryAttempts: 2, batchSize: 10 },
      {
        before: async ({ put }) => void (sequenceNumbers = await put(data)),
      },
    );
    await h.esm.drained();

    expect(h.probe.batches.map((batch) => batch.data)).toEqual([data, data, data]);
    expect(h.esm.stats).toMatchObject({
      invocations: 3,
      retries: 2,
      functionErrors: 3,
      onFailureMessages: 1,
      recordsCheckpointed: 5,
      recordsSucceeded: 0,
    });

    const messages = await h.onFailureMessages();
    expect(messages).toHaveLength(1);
    const message = messages[0] as OnFailureMessage;
    const { records: onStream } = await readRange(kinesis, {
      stream: { streamName: h.stream },
      shardId: 'shardId-000000000000',
      startSequenceNumber: sequenceNumbers[0] ?? '',
      endSequenceNumber: sequenceNumbers[4] ?? '',
      deadline: Date.now() + 5_000,
    });
    const arrivals = onStream.map((record) => record.ApproximateArrivalTimestamp?.toISOString());
    expect(Object.keys(message)).toEqual([
      'requestContext',
      'responseContext',
      'version',
      'timestamp',
      'KinesisBatchInfo',
    ]);
    expect(message).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: sequenceNumbers[0],
        endSequenceNumber: sequenceNumbers[4],
        approximateArrivalOfFirstRecord: arrivals[0],
        approximateArrivalOfLastRecord: arrivals[4],
        batchSize: 5,
        streamArn: h.streamArn,
      },
    });
    expect(Object.keys(message.requestContext)).toEqual([
      'requestId',
      'functionArn',
      'condition',
      'approximateInvokeCount',
    ]);
    expect(Object.keys(message.KinesisBatchInfo)).toEqual([
      'shardId',
      'startSequenceNumber',
      'endSequenceNumber',
      'approximateArrivalOfFirstRecord',
      'approximateArrivalOfLastRecord',
      'batchSize',
      'streamArn',
    ]);
    expect(typeof message.KinesisBatchInfo.batchSize).toBe('number');
    expect(Number.isNaN(Date.parse(message.timestamp))).toBe(false);

    const reread = await readRange(kinesis, {
      stream: { streamName: h.stream },
      shardId: message.KinesisBatchInfo.shardId,
      startSequenceNumber: message.KinesisBatchInfo.startSequenceNumber,
      endSequenceNumber: message.KinesisBatchInfo.endSequenceNumber,
      deadline: Date.now() + 5_000,
    });
    expect(reread.records.map((record) => record.SequenceNumber)).toEqual(sequenceNumbers);
    expect(reread.records.map((record) => Buffer.from(record.Data ?? []).toString())).toEqual(data);
  });

  it('ReportBatchItemFailures: checkpoints before the lowest failed sequence number and redelivers from it only', async () => {
    const data = Array.from({ length: 10 }, (_, i) => (i === 6 || i === 8 ? `fail-${i}` : `ok-${i}`));
    let sequenceNumbers: string[] = [];
    const h = await harness(
      failMarked('fail-', 1),
      { reportBatchItemFailures: true, maximumRetryAttempts: 3 },
      {
        before: async ({ put }) => void (sequenceNumbers = await put(data)),
      },
    );
    await h.esm.drained();

    expect(h.probe.batches.map((batch) => batch.data)).toEqual([data, data.slice(6)]);
    expect(h.probe.batches[1]?.sequenceNumbers[0]).toBe(sequenceNumbers[6]);
    expect(h.esm.stats).toMatchObject({
      invocations: 2,
      partialFailures: 1,
      // The checkpoint moved, so the rest came again as a new batch, using no retry (conformance.test.ts).
      retries: 0,
      recordsSucceeded: 10,
      recordsCheckpointed: 10,
      onFailureMessages: 0,
    });
    expect(await h.onFailureMessages()).toEqual([]);
  });

  it('ReportBatchItemFailures: the rest starts afresh when the checkpoint moved, then its retries count; the range starts at the failed record', async () => {
    const data = ['ok-0', 'ok-1', 'fail-2', 'ok-3'];
    let sequenceNumbers: string[] = [];
    const h = await harness(
      failMarked('fail-'),
      { reportBatchItemFailures: true, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true },
      {
        before: async ({ put }) => void (sequenceNumbers = await put(data)),
      },
    );
    await h.esm.drained();

    expect(h.probe.batches.map((batch) => batch.data)).toEqual([data, data.slice(2), data.slice(2)]);
    const [message] = await h.onFailureMessages();
    expect(message?.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(message?.responseContext?.functionError).toBeNull();
    expect(message?.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: sequenceNumbers[2],
      endSequenceNumber: sequenceNumbers[3],
      batchSize: 2,
    });
    expect(h.esm.stats).toMatchObject({ recordsSucceeded: 2, recordsSentToOnFailure: 2, recordsCheckpointed: 4 });
  });

  it.each([
    ['an unknown itemIdentifier', { batchItemFailures: [{ itemIdentifier: '123' }] }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a wrong key name', { batchItemFailures: [{ itemId: 'x' }] }],
    ['a non-list batchItemFailures', { batchItemFailures: 'all' }],
  ])('ReportBatchItemFailures: %s fails the whole batch', async (_name, response) => {
    const data = ['a', 'b', 'c'];
    const h = await harness(
      respondOnceWith(response),
      { reportBatchItemFailures: true, maximumRetryAttempts: 1 },
      {
        before: async ({ put }) => void (await put(data)),
      },
    );
    await h.esm.drained();
    expect(h.probe.batches.map((batch) => batch.data)).toEqual([data, data]);
    expect(h.esm.stats).toMatchObject({ functionErrors: 1, retries: 1, recordsSucceeded: 3, onFailureMessages: 0 });
  });

  it('keeps order per partition key with parallelizationFactor 3 while lanes run concurrently', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `device-${i}`);
    const data = Array.from({ length: 200 }, (_, i) => `${keys[i % 10]}:${Math.floor(i / 10)}`);
    const h = await harness(
      succeedAfter(25),
      { parallelizationFactor: 3, batchSize: 5 },
      {
        before: async ({ put }) => void (await put(data, (i) => keys[i % 10] as string)),
      },
    );
    await h.esm.drained();

    expect(h.probe.maxInFlight).toBeGreaterThan(1);
    expect(h.probe.maxInFlight).toBeLessThanOrEqual(3);
    expect(h.probe.overlappingKeys).toEqual([]);
    const seen = h.probe.batches.flatMap((batch) => batch.data);
    expect([...seen].sort()).toEqual([...data].sort());
    for (const key of keys) {
      const order = seen.filter((item) => item.startsWith(`${key}:`)).map((item) => Number(item.split(':')[1]));
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    expect(h.esm.stats).toMatchObject({ recordsCheckpointed: 200, recordsSucceeded: 200 });
    expect(h.esm.stats.maxConcurrentInvocations).toBe(h.probe.maxInFlight);
  });

  it('sends records older than maximumRecordAgeInSeconds on with RecordAgeExceeded (retries unlimited)', async () => {
    const h = await harness(
      alwaysThrow(),
      { maximumRetryAttempts: -1, maximumRecordAgeInSeconds: 2 },
      {
        before: async ({ put }) => void (await put(['x', 'y', 'z'])),
      },
    );
    await h.esm.drained({ timeoutMs: 20_000 });

    const messages = await h.onFailureMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.requestContext.condition).toBe('RecordAgeExceeded');
    // As AWS sends it: no responseContext when the records aged out (conformance.test.ts).
    expect(Object.keys(messages[0] ?? {})).toEqual(['requestContext', 'version', 'timestamp', 'KinesisBatchInfo']);
    expect(messages[0]?.KinesisBatchInfo.batchSize).toBe(3);
    expect(messages[0]?.requestContext.approximateInvokeCount).toBe(h.probe.batches.length);
    expect(h.probe.batches.length).toBeGreaterThanOrEqual(1);
    expect(h.esm.stats).toMatchObject({ recordsSucceeded: 0, recordsSentToOnFailure: 3, recordsCheckpointed: 3 });
  });

  it('treats a handler still running at the function timeout as a function error, and retries the batch', async () => {
    const h = await harness(
      slowFirst(3_000),
      { maximumRetryAttempts: 1 },
      {
        timeoutMs: 300,
        before: async ({ put }) => void (await put(['slow'])),
      },
    );
    await h.esm.drained();
    expect(h.probe.batches.map((batch) => batch.data)).toEqual([['slow'], ['slow']]);
    expect(h.probe.batches[0]?.remainingMsAtStart).toBeLessThanOrEqual(300);
    expect(h.esm.stats).toMatchObject({
      timeouts: 1,
      functionErrors: 1,
      retries: 1,
      recordsSucceeded: 1,
      onFailureMessages: 0,
    });
  });

  it('sends a batch that times out on every attempt to the on-failure destination', async () => {
    const h = await harness(
      slowFirst(3_000, 2),
      { maximumRetryAttempts: 1 },
      {
        timeoutMs: 200,
        before: async ({ put }) => void (await put(['slow-1', 'slow-2'])),
      },
    );
    await h.esm.drained();
    const [message] = await h.onFailureMessages();
    expect(message?.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(message?.responseContext?.functionError).toBe('Unhandled');
    expect(h.esm.stats).toMatchObject({ timeouts: 2, recordsSentToOnFailure: 2 });
  });

  it('keeps a failed batch until its on-failure record is on the queue, when SQS refuses it at first', async () => {
    const flakySqs = testSqs();
    let refusals = 0;
    flakySqs.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { MessageBody?: string };
        if (input.MessageBody && refusals < 3) {
          refusals += 1;
          throw new SQSServiceException({
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
            message: 'injected',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuse-send' },
    );
    const h = await harness(
      throwOnPoison(),
      { maximumRetryAttempts: 0, batchSize: 1 },
      {
        sqsClient: flakySqs,
        before: async ({ put }) => void (await put(['poison', 'after'])),
      },
    );
    await h.esm.drained();
    expect(h.esm.stats).toMatchObject({ onFailureSendErrors: 3, onFailureMessages: 1, recordsCheckpointed: 2 });
    expect((await h.onFailureMessages()).map((message) => message.KinesisBatchInfo.batchSize)).toEqual([1]);
    // The next record was only invoked after the failed one was safely sent on.
    expect(h.probe.batches.map((batch) => batch.data)).toEqual([['poison'], ['after']]);
  });

  it('stop() lets the invocation in flight finish and starts no other', async () => {
    const h = await harness(
      succeedAfter(400),
      { batchSize: 1 },
      { before: async ({ put }) => void (await put(['one', 'two', 'three'])) },
    );
    for (let i = 0; i < 100 && h.probe.batches.length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await h.esm.stop();
    expect(h.probe.batches.map((batch) => batch.data)).toEqual([['one']]);
    expect(h.esm.stats).toMatchObject({ invocations: 1, recordsCheckpointed: 1 });
    await expect(h.esm.drained({ timeoutMs: 100 })).rejects.toThrow(/stopped/);
  });

  it('starts at LATEST: records put before the mapping started are not delivered', async () => {
    const h = await harness(
      succeedAfter(),
      { startingPosition: 'LATEST' },
      { before: async ({ put }) => void (await put(['old-1', 'old-2'])) },
    );
    await h.esm.drained();
    await h.put(['new-1', 'new-2']);
    await h.esm.drained();
    expect(h.probe.batches.flatMap((batch) => batch.data)).toEqual(['new-1', 'new-2']);
  });

  it('gathers records for the batching window, and cuts a batch at the 6 MB payload limit', async () => {
    const windowed = await harness(succeedAfter(), { maximumBatchingWindowInSeconds: 2, batchSize: 10 });
    await windowed.esm.drained();
    // Spaced wider than the poll interval, so each record comes from its own GetRecords call.
    for (const item of ['w-1', 'w-2', 'w-3']) {
      await windowed.put([item]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await windowed.esm.drained();
    expect(windowed.probe.batches.map((batch) => batch.data)).toEqual([['w-1', 'w-2', 'w-3']]);

    const large = Array.from({ length: 8 }, (_, i) => `${i}`.padEnd(900 * 1024, 'x'));
    const h = await harness(succeedAfter(), { batchSize: 100 }, { before: async ({ put }) => void (await put(large)) });
    await h.esm.drained();
    expect(h.probe.batches.map((batch) => batch.data.length)).toEqual([5, 3]);
    for (const event of h.probe.events)
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(6 * 1024 * 1024);
  });

  it('starts AT_TIMESTAMP: only records that arrived at or after it are delivered', async () => {
    let startAt = 0;
    const h = await harness(
      succeedAfter(),
      { startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 0 },
      {
        before: async ({ put, stream }) => {
          await put(['before']);
          await new Promise((resolve) => setTimeout(resolve, 50));
          await put(['after-1', 'after-2']);
          const [first, second] = await readAllRecords(kinesis, stream);
          startAt =
            ((first?.ApproximateArrivalTimestamp?.getTime() ?? 0) +
              (second?.ApproximateArrivalTimestamp?.getTime() ?? 0)) /
            2000;
        },
        mappingAfterSetup: () => ({ startingPositionTimestamp: startAt }),
      },
    );
    await h.esm.drained();
    expect(h.probe.batches.flatMap((batch) => batch.data)).toEqual(['after-1', 'after-2']);
  });

  it('backs off and carries on when GetRecords is throttled, losing nothing', async () => {
    const throttled = testKinesis();
    let refusals = 0;
    throttled.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ShardIterator?: string; Limit?: number };
        if (input.ShardIterator && input.Limit !== undefined && refusals < 3) {
          refusals += 1;
          throw new KinesisServiceException({
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: 'injected',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttle-get-records' },
    );
    const data = Array.from({ length: 20 }, (_, i) => `r-${i}`);
    const h = await harness(
      succeedAfter(),
      { batchSize: 7 },
      { kinesisClient: throttled, before: async ({ put }) => void (await put(data)) },
    );
    await h.esm.drained();
    expect(refusals).toBe(3);
    expect(h.esm.stats.getRecordsErrors).toBe(3);
    expect(h.probe.batches.flatMap((batch) => batch.data)).toEqual(data);
  });

  it('resumes after the checkpoints of an earlier run (resumeFrom), delivering nothing twice', async () => {
    const first = await harness(succeedAfter(), {}, { before: async ({ put }) => void (await put(['one', 'two'])) });
    await first.esm.drained();
    await first.esm.stop();
    const resumeFrom = Object.fromEntries(
      first.esm.stats.shards.map((shard) => [shard.shardId, shard.checkpoint ?? '']),
    );
    await first.put(['three']);
    const second = await harness(
      succeedAfter(),
      {},
      { existing: { stream: first.stream, streamArn: first.streamArn, queueUrl: first.queueUrl }, resumeFrom },
    );
    await second.esm.drained();
    expect(first.probe.batches.flatMap((batch) => batch.data)).toEqual(['one', 'two']);
    expect(second.probe.batches.flatMap((batch) => batch.data)).toEqual(['three']);
  });

  it('reads a split parent to its end before its children, and both children before the shard they merge into', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const putPhase = async (put: Harness['put'], phase: string): Promise<void> =>
      void (await put(
        keys.flatMap((key) => [`${phase}:${key}:0`, `${phase}:${key}:1`]),
        (i) => keys[Math.floor(i / 2)] as string,
      ));
    const waitActive = async (stream: string): Promise<void> => {
      for (let i = 0; i < 100; i += 1) {
        const { StreamDescriptionSummary } = await kinesis.send(
          new DescribeStreamSummaryCommand({ StreamName: stream }),
        );
        if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const h = await harness(
      succeedAfter(10),
      { batchSize: 4 },
      {
        before: async ({ put, stream }) => {
          await putPhase(put, 'parent');
          await kinesis.send(
            new SplitShardCommand({
              StreamName: stream,
              ShardToSplit: 'shardId-000000000000',
              NewStartingHashKey: (2n ** 127n).toString(),
            }),
          );
          await waitActive(stream);
          await putPhase(put, 'child');
          await kinesis.send(
            new MergeShardsCommand({
              StreamName: stream,
              ShardToMerge: 'shardId-000000000001',
              AdjacentShardToMerge: 'shardId-000000000002',
            }),
          );
          await waitActive(stream);
          await putPhase(put, 'merged');
        },
      },
    );
    await h.esm.drained();

    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: h.stream }));
    expect(Shards.map((shard) => [shard.ShardId, shard.ParentShardId, shard.AdjacentParentShardId])).toEqual([
      ['shardId-000000000000', undefined, undefined],
      ['shardId-000000000001', 'shardId-000000000000', undefined],
      ['shardId-000000000002', 'shardId-000000000000', undefined],
      ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002'],
    ]);
    const seen = h.probe.batches.flatMap((batch) => batch.data);
    expect(seen).toHaveLength(36);
    expect(new Set(seen).size).toBe(36);
    const phases = seen.map((item) => item.split(':')[0]);
    // Parent first, then the children (in any interleaving), then the merged shard.
    expect(phases).toEqual([...Array(12).fill('parent'), ...Array(12).fill('child'), ...Array(12).fill('merged')]);
    for (const key of keys) {
      expect(seen.filter((item) => item.split(':')[1] === key)).toEqual(
        ['parent', 'child', 'merged'].flatMap((phase) => [`${phase}:${key}:0`, `${phase}:${key}:1`]),
      );
    }
    expect(h.esm.stats.shards.map((shard) => [shard.shardId, shard.state])).toEqual([
      ['shardId-000000000000', 'finished'],
      ['shardId-000000000001', 'finished'],
      ['shardId-000000000002', 'finished'],
      ['shardId-000000000003', 'reading'],
    ]);
    expect(dataOf(h.probe.events[0] ?? { Records: [] })[0]).toBe('parent:a:0');
  });
});
