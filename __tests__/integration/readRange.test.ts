import {
  ExpiredIteratorException,
  ProvisionedThroughputExceededException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { putRecords } from '../../lib/kinesis/putRecords';
import { readRange } from '../../lib/replay/readRange';
import { createStream, readAllRecords, testKinesis } from '../helpers/local';

async function streamWith(count: number): Promise<{ stream: string; sequences: string[]; shardId: string }> {
  const kinesis = testKinesis();
  const stream = await createStream(kinesis, 1);
  const records = Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(String(i)),
    partitionKey: `k${i % 3}`,
  }));
  await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 });
  const onStream = await readAllRecords(kinesis, stream);
  return { stream, sequences: onStream.map((r) => r.SequenceNumber ?? ''), shardId: onStream[0]?.shardId ?? '' };
}

type GetRecordsInput = { ShardIterator?: string; Limit?: number };

/** Sees, and may change or fail, every GetRecords call: the faults kinesalite cannot produce. */
function onGetRecords(
  kinesis: KinesisClient,
  intercept: (input: GetRecordsInput, call: number) => GetRecordsInput,
): void {
  let call = 0;
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as GetRecordsInput;
      if (input.ShardIterator === undefined) return next(args);
      call += 1;
      return next({ ...args, input: intercept(input, call) });
    },
    { step: 'initialize', name: `get-records-${call}-${Math.random()}` },
  );
}

describe('readRange', () => {
  it('re-reads exactly the records from start to end inclusive', async () => {
    const kinesis = testKinesis();
    const { stream, sequences, shardId } = await streamWith(60);
    const result = await readRange(kinesis, {
      stream: { streamName: stream },
      shardId,
      startSequenceNumber: sequences[10] as string,
      endSequenceNumber: sequences[29] as string,
      deadline: Date.now() + 10_000,
    });
    expect(result.trimmed).toBe(false);
    expect(result.incomplete).toBe(false);
    expect(result.records.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => String(10 + i)),
    );
  });

  it('gets a new iterator after the last record read when one expires', async () => {
    const kinesis = testKinesis();
    const { stream, sequences, shardId } = await streamWith(30);
    // GetRecords with a Limit of 3 on the first pass, then an expired iterator once.
    onGetRecords(kinesis, (input, call) => {
      if (call === 2) throw new ExpiredIteratorException({ message: 'injected: iterator expired', $metadata: {} });
      return { ...input, Limit: 3 };
    });
    const result = await readRange(kinesis, {
      stream: { streamName: stream },
      shardId,
      startSequenceNumber: sequences[0] as string,
      endSequenceNumber: sequences[8] as string,
      deadline: Date.now() + 20_000,
    });
    expect(result.records.map((r) => r.SequenceNumber)).toEqual(sequences.slice(0, 9));
    expect(result.getRecordsCalls).toBeGreaterThanOrEqual(4);
  });

  it('reports a range whose head is no longer on the shard as trimmed', async () => {
    const kinesis = testKinesis();
    const { stream, sequences, shardId } = await streamWith(5);
    // A start before the first record still on the shard: what retention leaves behind.
    const beforeFirst = (BigInt(sequences[0] as string) - 1n).toString();
    const result = await readRange(kinesis, {
      stream: { streamName: stream },
      shardId,
      startSequenceNumber: beforeFirst,
      endSequenceNumber: sequences[2] as string,
      deadline: Date.now() + 10_000,
    });
    expect(result.trimmed).toBe(true);
    // What is left of the range (records 0..2) is still read from the oldest record kept.
    expect(result.records.map((r) => r.SequenceNumber)).toEqual(sequences.slice(0, 3));
  });
});

describe('readRange page size', () => {
  it('asks for what the range should hold (+1), not 10,000 records, on its first page', async () => {
    const kinesis = testKinesis();
    const { stream, sequences, shardId } = await streamWith(300);
    const limits: (number | undefined)[] = [];
    onGetRecords(kinesis, (input) => {
      limits.push(input.Limit);
      return input;
    });
    const result = await readRange(kinesis, {
      stream: { streamName: stream },
      shardId,
      startSequenceNumber: sequences[10] as string,
      endSequenceNumber: sequences[29] as string,
      deadline: Date.now() + 10_000,
      expectedRecords: 20,
    });
    expect(result.records).toHaveLength(20);
    expect(limits).toEqual([21]);
  });
});

describe('readRange under read throttling', () => {
  it('waits and reads again when the shard is over its 5 reads/s, instead of failing the message', async () => {
    const kinesis = testKinesis();
    const { stream, sequences, shardId } = await streamWith(20);
    let throttles = 0;
    onGetRecords(kinesis, (input) => {
      if (throttles < 2) {
        throttles += 1;
        throw new ProvisionedThroughputExceededException({
          message: 'injected: Rate exceeded for shard',
          $metadata: {},
        });
      }
      return input;
    });
    const result = await readRange(kinesis, {
      stream: { streamName: stream },
      shardId,
      startSequenceNumber: sequences[2] as string,
      endSequenceNumber: sequences[7] as string,
      deadline: Date.now() + 20_000,
    });
    expect(throttles).toBe(2);
    expect(result.records.map((r) => r.SequenceNumber)).toEqual(sequences.slice(2, 8));
  });
});
