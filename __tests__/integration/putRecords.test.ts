import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putRecords, type KinesisRecord } from '../../lib/kinesis/putRecords';
import { MAX_RECORD_BYTES } from '../../lib/kinesis/limits';
import { injectCallErrors, injectPartialFailures, observePutRecords } from '../helpers/kinesisFaults';
import { expectedOrderByKey, indexOf, lastCopyOrderByKey, makeRecords } from '../helpers/kinesisOrder';
import { createStream, readAllRecords, testKinesis } from '../helpers/local';

const soon = (ms = 20_000): number => Date.now() + ms;

describe('putRecords against kinesalite', () => {
  let kinesis: KinesisClient;
  beforeEach(() => {
    kinesis = testKinesis();
  });

  it('puts 1,234 records in calls of at most 500 and keeps order per partition key', async () => {
    const stream = await createStream(kinesis, 3);
    const records = makeRecords(1_234, 7);
    const watch = observePutRecords(kinesis);
    const result = await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: soon() });
    expect(result.failed).toEqual([]);
    expect(result.put).toBe(1_234);
    expect(watch.calls.map((c) => c.entries)).toEqual([500, 500, 234]);
    expect(result.placements.every((p) => p?.sequenceNumber)).toBe(true);
    const onStream = await readAllRecords(kinesis, stream);
    expect(onStream).toHaveLength(1_234);
    expect(await lastCopyOrderByKey(kinesis, stream)).toEqual(
      expectedOrderByKey(
        records,
        records.map((_r, i) => i),
      ),
    );
  });

  it('splits calls at 5 MiB before 500 records', async () => {
    const stream = await createStream(kinesis, 1);
    // 12 records of ~900 KiB: five fit under 5 MiB, six do not.
    const records = makeRecords(12, 2, 900 * 1024);
    const watch = observePutRecords(kinesis);
    const result = await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: soon() });
    expect(result.failed).toEqual([]);
    expect(watch.calls.map((c) => c.entries)).toEqual([5, 5, 2]);
    expect(Math.max(...watch.calls.map((c) => c.bytes))).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(await readAllRecords(kinesis, stream)).toHaveLength(12);
  });

  it('refuses a record over 1 MiB (data plus key) before sending, and puts the rest', async () => {
    const stream = await createStream(kinesis, 1);
    const key = 'k';
    const records: KinesisRecord[] = [
      { data: Buffer.from('0:ok'), partitionKey: key },
      { data: Buffer.alloc(MAX_RECORD_BYTES - key.length + 1, 0x31), partitionKey: key },
      { data: Buffer.alloc(MAX_RECORD_BYTES - key.length, 0x32), partitionKey: key },
      { data: Buffer.from('3:ok'), partitionKey: '' },
    ];
    const watch = observePutRecords(kinesis);
    const result = await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: soon() });
    expect(result.failed.map((f) => [f.index, f.code, f.retryable])).toEqual([
      [1, 'RECORD_TOO_LARGE', false],
      [3, 'INVALID_PARTITION_KEY', false],
    ]);
    expect(result.put).toBe(2);
    expect(watch.calls.reduce((n, c) => n + c.entries, 0)).toBe(2);
    expect(await readAllRecords(kinesis, stream)).toHaveLength(2);
  });

  it('retries only failed entries of a partial failure and keeps the last copies in order per key', async () => {
    const stream = await createStream(kinesis, 2);
    const records = makeRecords(1_000, 10);
    // First call: every 7th entry fails; second call: every 11th; after that all succeed.
    const faults = injectPartialFailures(kinesis, {
      fails: (_e, call, position) => (call === 1 && position % 7 === 3) || (call === 2 && position % 11 === 5),
    });
    const retries: number[] = [];
    const result = await putRecords(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      retry: { baseDelayMs: 5 },
      onRetry: (info) => retries.push(info.failed),
    });
    expect(result.failed).toEqual([]);
    expect(result.put).toBe(1_000);
    expect(retries[0]).toBe(71); // positions 3, 10, ..., 493 of the first call of 500
    expect(result.retriedEntries).toBeGreaterThan(71);
    // The first retry call starts with the failed entry and re-sends the same-key entries behind it.
    expect(faults.calls[1]?.entries).toBe(500);
    const onStream = await readAllRecords(kinesis, stream);
    expect(new Set(onStream.map((r) => indexOf(r.Data))).size).toBe(1_000);
    expect(await lastCopyOrderByKey(kinesis, stream)).toEqual(
      expectedOrderByKey(
        records,
        records.map((_r, i) => i),
      ),
    );
  });

  it('retries a throttled call with backoff until it goes through', async () => {
    const stream = await createStream(kinesis, 1);
    const records = makeRecords(600, 3);
    const faults = injectCallErrors(kinesis, (call) => call <= 2);
    const result = await putRecords(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      retry: { baseDelayMs: 5 },
    });
    expect(result.failed).toEqual([]);
    expect(faults.calls.map((c) => c.entries)).toEqual([500, 500, 500, 100]);
    expect(await readAllRecords(kinesis, stream)).toHaveLength(600);
  });

  it('returns exactly the records a hot shard still refuses when the deadline runs out', async () => {
    const stream = await createStream(kinesis, 1);
    const records = makeRecords(900, 9);
    injectPartialFailures(kinesis, { fails: (entry) => entry.PartitionKey === 'source-4' });
    const started = Date.now();
    const result = await putRecords(kinesis, records, {
      stream: { streamName: stream },
      deadline: Date.now() + 400,
      retry: { baseDelayMs: 20, maxDelayMs: 100 },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const hot = records.map((r, i) => (r.partitionKey === 'source-4' ? i : -1)).filter((i) => i >= 0);
    expect(result.failed.map((f) => f.index)).toEqual(hot);
    expect(new Set(result.failed.map((f) => f.code))).toEqual(new Set(['ProvisionedThroughputExceededException']));
    expect(result.failed.every((f) => f.retryable)).toBe(true);
    expect(result.put).toBe(800);
    const onStream = await readAllRecords(kinesis, stream);
    expect(onStream.some((r) => r.PartitionKey === 'source-4')).toBe(false);
    expect(new Set(onStream.map((r) => indexOf(r.Data))).size).toBe(800);
  });

  it('stops at the first call when the stream does not exist, failing every record as not retryable', async () => {
    const records = makeRecords(1_200, 2);
    const result = await putRecords(kinesis, records, { stream: { streamName: 'no-such-stream' }, deadline: soon() });
    expect(result.calls).toBe(1);
    expect(result.put).toBe(0);
    expect(result.failed).toHaveLength(1_200);
    expect(result.failed[0]).toMatchObject({ code: 'ResourceNotFoundException', retryable: false });
  });

  it('gives up after maxAttempts calls and reports the last error of each record', async () => {
    const stream = await createStream(kinesis, 1);
    const records = makeRecords(10, 2);
    injectPartialFailures(kinesis, { fails: (_e, _call, position) => position === 0, code: 'InternalFailure' });
    const result = await putRecords(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      retry: { baseDelayMs: 1, maxAttempts: 4 },
    });
    // Record 0 fails every time it is first in a call; the records of its key behind it wait for it.
    expect(result.failed.map((f) => [f.index, f.code])).toEqual([[0, 'InternalFailure']]);
    expect(result.calls).toBe(4);
  });
});
