import { DeleteQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../lib/aws/sqsClient';
import { DeadLetterError } from '../../lib/errors';
import { freePort } from '../../local/src/services';
import { DlqMessageError } from '../../lib/dlq/errors';
import { packRecordMessages } from '../../lib/dlq/packRecords';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { DlqRecord, RecordMessageHeader } from '../../lib/dlq/recordMessage';
import { sendToDlq } from '../../lib/dlq/send';
import { s3ObjectCreatedEvent } from '../../local/src/stack/s3Notifications';
import { s3TestEvent } from '../helpers/s3Events';
import { createQueue, receiveAll, testAwsConfig, testSqs } from '../helpers/local';

const header: RecordMessageHeader = {
  reason: 'invalid-json',
  error: 'Unexpected token',
  function: 'consumer',
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
  shardId: 'shardId-000000000000',
};

function record(index: number, dataBytes = 300): DlqRecord {
  return {
    sequenceNumber: (49_600_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(index)).toString(),
    partitionKey: `source-${index % 7}`,
    approximateArrivalTimestamp: 1_700_000_000.123 + index,
    data: Buffer.alloc(dataBytes, index % 251).toString('base64'),
  };
}

// From DESIGN.md: the on-failure record Lambda sends for a Kinesis event source mapping.
const lambdaFailure = {
  requestContext: {
    requestId: 'c9b8fa9f-5a7f-4a3e-bd4a-7e3b1c7b1a11',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T00:38:06.021Z',
  KinesisBatchInfo: {
    shardId: 'shardId-000000000001',
    startSequenceNumber: '49601189658422359378836298521827638475320189012309704722',
    endSequenceNumber: '49601189658422359378836298522902373528957594348623495186',
    approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
    approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
    batchSize: 500,
    streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream',
  },
};

function recordsOf(bodies: string[]): DlqRecord[] {
  return bodies.flatMap((body) => {
    const parsed = parseDlqMessage(body);
    if (parsed.kind !== 'records') throw new Error('expected a record message');
    return parsed.message.records;
  });
}

describe('packRecordMessages', () => {
  it('fits everything in one message when it can, and the message parses back', () => {
    const records = [record(1), record(2), record(3)];
    const bodies = packRecordMessages(header, records, 262_144);
    expect(bodies).toHaveLength(1);
    const parsed = parseDlqMessage(bodies[0] ?? '');
    expect(parsed).toEqual({ kind: 'records', message: { version: 1, kind: 'records', ...header, records } });
  });

  it('splits into bodies no larger than the limit, keeping every record once and in order', () => {
    const records = Array.from({ length: 200 }, (_, i) => record(i, 200 + ((i * 37) % 900)));
    const maxBytes = 16_384;
    const bodies = packRecordMessages(header, records, maxBytes);
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBytes);
    expect(recordsOf(bodies)).toEqual(records);
    // Packed, not one record per message: all but the last are at least half full.
    for (const body of bodies.slice(0, -1)) expect(Buffer.byteLength(body)).toBeGreaterThan(maxBytes / 2);
  });

  it('names a record too large for any message instead of truncating its data', () => {
    const big = record(2, 40_000);
    const bodies = packRecordMessages(header, [record(1), big, record(3)], 8_192);
    const records = recordsOf(bodies);
    expect(records.map((r) => r.sequenceNumber)).toEqual([
      record(1).sequenceNumber,
      big.sequenceNumber,
      record(3).sequenceNumber,
    ]);
    expect(records[1]).toEqual({
      sequenceNumber: big.sequenceNumber,
      partitionKey: big.partitionKey,
      approximateArrivalTimestamp: big.approximateArrivalTimestamp,
      omittedDataBytes: Buffer.byteLength(big.data ?? ''),
    });
    expect(records[0]?.data).toBe(record(1).data);
    expect(records[2]?.data).toBe(record(3).data);
  });

  it('fails loudly when even a marker cannot fit', () => {
    expect(() => packRecordMessages({ ...header, error: 'x'.repeat(400) }, [record(1)], 300)).toThrow(DeadLetterError);
  });

  it('escapes the characters SQS refuses and cuts long error texts, never data', () => {
    const bodies = packRecordMessages({ ...header, error: `bad \uFFFF ${'y'.repeat(2_000)}` }, [
      { ...record(1), error: '\uFFFE' },
    ]);
    expect(bodies[0]).not.toMatch(/[\uFFFE\uFFFF]/);
    const parsed = parseDlqMessage(bodies[0] ?? '');
    if (parsed.kind !== 'records') throw new Error('expected a record message');
    expect(parsed.message.error.startsWith('bad \uFFFF')).toBe(true);
    expect(parsed.message.error.length).toBeLessThan(600);
    expect(parsed.message.records[0]?.error).toBe('\uFFFE');
    expect(parsed.message.records[0]?.data).toBe(record(1).data);
  });
});

describe('parseDlqMessage', () => {
  it("reads Lambda's on-failure record, functionError null included", () => {
    expect(parseDlqMessage(JSON.stringify(lambdaFailure))).toEqual({ kind: 'lambda-failure', message: lambdaFailure });
    const nullError = { ...lambdaFailure, responseContext: { ...lambdaFailure.responseContext, functionError: null } };
    const parsed = parseDlqMessage(JSON.stringify(nullError));
    expect(parsed.kind === 'lambda-failure' && parsed.message.responseContext.functionError).toBeNull();
  });

  it("reads S3's notification of a failed batch (its key decoded) and its test event", () => {
    const body = s3ObjectCreatedEvent({
      bucket: 'telemetry-pipeline-dev-failures-000000000000-us-east-1',
      key: 'aws/lambda/uuid/shardId-000000000000/2026/12/02/2026-12-02T01.02.03 a+b:c',
      size: 12,
      region: 'eu-west-1',
      body: 'twelve bytes',
    });
    // S3 sends keys form-encoded: the space as "+", "+" and ":" percent-encoded.
    expect(body).toContain('2026-12-02T01.02.03+a%2Bb%3Ac');
    expect(parseDlqMessage(body)).toEqual({
      kind: 's3-objects',
      message: {
        objects: [
          {
            bucket: 'telemetry-pipeline-dev-failures-000000000000-us-east-1',
            key: 'aws/lambda/uuid/shardId-000000000000/2026/12/02/2026-12-02T01.02.03 a+b:c',
            size: 12,
            region: 'eu-west-1',
          },
        ],
      },
    });
    expect(parseDlqMessage(s3TestEvent('b'))).toEqual({ kind: 's3-test' });
  });

  it('reads an on-failure record missing fields the replay does not use, but not one missing its range or condition', () => {
    const sparse = {
      requestContext: { condition: 'RecordAgeExceeded' },
      responseContext: null,
      KinesisBatchInfo: lambdaFailure.KinesisBatchInfo,
    };
    const parsed = parseDlqMessage(JSON.stringify(sparse));
    expect(parsed.kind === 'lambda-failure' && parsed.message.KinesisBatchInfo).toEqual(lambdaFailure.KinesisBatchInfo);
    expect(parsed.kind === 'lambda-failure' && parsed.message.requestContext.condition).toBe('RecordAgeExceeded');
    expect(() => parseDlqMessage(JSON.stringify({ ...sparse, requestContext: {} }))).toThrow(/condition/);
    expect(() =>
      parseDlqMessage(
        JSON.stringify({ ...sparse, KinesisBatchInfo: { ...sparse.KinesisBatchInfo, shardId: undefined } }),
      ),
    ).toThrow(/shardId/);
  });

  it.each([
    ['not JSON', 'hello', /not JSON/],
    ['an array', '[1]', /not a JSON object/],
    ['something else', '{"foo":1}', /neither a record message/],
    [
      'a future version',
      JSON.stringify({ ...JSON.parse(packRecordMessages(header, [record(1)])[0] ?? '{}'), version: 2 }),
      /version 2 is not supported/,
    ],
    [
      'a DynamoDB failure record',
      JSON.stringify({ ...lambdaFailure, KinesisBatchInfo: undefined, DDBStreamBatchInfo: {} }),
      /another event source/,
    ],
    [
      'a bad sequence number',
      JSON.stringify({
        ...lambdaFailure,
        KinesisBatchInfo: { ...lambdaFailure.KinesisBatchInfo, endSequenceNumber: '12ab' },
      }),
      /endSequenceNumber is not a Kinesis sequence number/,
    ],
    [
      'records without data or marker',
      JSON.stringify({
        version: 1,
        kind: 'records',
        ...header,
        records: [{ sequenceNumber: '1', partitionKey: 'k', approximateArrivalTimestamp: 1 }],
      }),
      /neither data nor omittedDataBytes/,
    ],
    ['empty records', JSON.stringify({ version: 1, kind: 'records', ...header, records: [] }), /non-empty array/],
    [
      'an S3 notification of a removed object',
      JSON.stringify({
        Records: [{ eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'b' } } }],
      }),
      /is "ObjectRemoved:Delete", not ObjectCreated/,
    ],
    [
      'an S3 notification without a key',
      JSON.stringify({
        Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: {} } }],
      }),
      /names no object key/,
    ],
  ])('refuses %s with a clear error', (_name, body, message) => {
    expect(() => parseDlqMessage(body)).toThrow(DlqMessageError);
    expect(() => parseDlqMessage(body)).toThrow(message);
  });
});

describe('sendToDlq (fauxqs)', () => {
  const sqs = testSqs();
  afterAll(() => sqs.destroy());

  it('sends every body, 10 at a time, within the batch size limit', async () => {
    const queueUrl = await createQueue(sqs);
    const bodies = Array.from({ length: 23 }, (_, i) => `message ${i} ${'z'.repeat(i * 10)}`);
    const result = await sendToDlq(sqs, queueUrl, bodies);
    expect(result).toEqual({ messages: 23, calls: 3 });
    const received = await receiveAll(sqs, queueUrl);
    expect(received.map((m) => m.Body).sort()).toEqual([...bodies].sort());
  });

  it('keeps a batch under the total payload limit (a batch may not exceed one message size)', async () => {
    const queueUrl = await createQueue(sqs);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { MaximumMessageSize: '262144' } }));
    const bodies = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(200_000));
    const result = await sendToDlq(sqs, queueUrl, bodies, { maxBytes: 262_144 });
    expect(result.calls).toBe(6);
    expect((await receiveAll(sqs, queueUrl)).length).toBe(6);
  });

  it('throws DeadLetterError at once when the queue is gone (a 4xx that no retry heals)', async () => {
    const queueUrl = await createQueue(sqs);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    const counted = createSqsClient(testAwsConfig());
    let calls = 0;
    counted.middlewareStack.add(
      (next) => async (args) => {
        calls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'count-calls' },
    );
    try {
      const error = await sendToDlq(counted, queueUrl, ['a'], { retry: { maxAttempts: 4, baseDelayMs: 1 } }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DeadLetterError);
      expect((error as DeadLetterError).message).toMatch(/^the dead-letter queue cannot be written: /);
      expect((error as DeadLetterError).cause).toBeDefined();
      expect(calls).toBe(1);
    } finally {
      counted.destroy();
    }
  });

  it('throws DeadLetterError when nothing listens at the endpoint', async () => {
    const port = await freePort();
    const dead = createSqsClient({ ...testAwsConfig(), sqsEndpoint: `http://127.0.0.1:${port}` });
    try {
      const error = await sendToDlq(dead, `http://127.0.0.1:${port}/000000000000/dlq`, ['a'], {
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadLetterError);
      expect((error as DeadLetterError).cause).toBeDefined();
    } finally {
      dead.destroy();
    }
  });

  it('refuses at once a body over the queue limit (a sender fault never heals)', async () => {
    const queueUrl = await createQueue(sqs);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { MaximumMessageSize: '1024' } }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['MaximumMessageSize'] }),
    );
    expect(Attributes?.MaximumMessageSize).toBe('1024');
    await expect(sendToDlq(sqs, queueUrl, ['x'.repeat(2_000)], { maxBytes: 1_048_576 })).rejects.toThrow(
      /refused a message/,
    );
  });
});
