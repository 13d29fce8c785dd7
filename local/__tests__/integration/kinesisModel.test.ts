import {
  type KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { createStream, readAllRecords, testKinesis } from '../../../__tests__/helpers/local';
import { type KinesisModel, simulateKinesisLimits } from '../../src/kinesisModel';

// The Kinesis model against real kinesalite: what it accepts must be on the stream, on the shard it
// computed, and what it refuses must not be.

const THROTTLED = 'ProvisionedThroughputExceededException';

function entries(count: number, key: string, prefix: string, bytes = 0): PutRecordsRequestEntry[] {
  return Array.from({ length: count }, (_unused, i) => ({
    PartitionKey: key,
    Data: Buffer.from(`${prefix}${i}`.padEnd(bytes, '.')),
  }));
}

function text(data: Uint8Array | undefined): string {
  return Buffer.from(data ?? []).toString();
}

/** Counts PutRecords requests that really leave the client (a later step than the model's). */
function countPutRecordsSent(kinesis: KinesisClient): { sent: number } {
  const counter = { sent: 0 };
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      const input: unknown = args.input;
      if (typeof input === 'object' && input !== null && 'Records' in input) counter.sent += 1;
      return next(args);
    },
    { step: 'build', name: `count-${Math.random()}` },
  );
  return counter;
}

/** A partition key that the model sends to each of the stream's shards, found by trying keys. */
async function keysPerShard(model: KinesisModel, stream: string, shards: number): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (let i = 0; keys.size < shards && i < 1000; i += 1) {
    const shard = await model.shardFor(stream, `key-${i}`);
    if (!keys.has(shard)) keys.set(shard, `key-${i}`);
  }
  return keys;
}

describe('simulateKinesisLimits', () => {
  let models: KinesisModel[] = [];
  afterEach(() => {
    for (const model of models) model.remove();
    models = [];
  });
  function install(kinesis: KinesisClient, options: Parameters<typeof simulateKinesisLimits>[1]): KinesisModel {
    const model = simulateKinesisLimits(kinesis, options);
    models.push(model);
    return model;
  }

  it('adds latency to every command, with jitter that repeats for the same seed', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis);
    const model = install(kinesis, { latencyMs: 150, jitterMs: 40, seed: 3 });
    let started = performance.now();
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries(3, 'k', 'r') }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    expect(put.FailedRecordCount).toBe(0);
    started = performance.now();
    await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    const { delayedMs } = model.stats();
    expect(delayedMs).toBeGreaterThanOrEqual(300);
    expect(delayedMs).toBeLessThan(380);

    const delays = async (seed: number): Promise<number> => {
      const client = testKinesis();
      const other = install(client, { latencyMs: 1, jitterMs: 20, seed });
      for (let i = 0; i < 3; i += 1) await client.send(new ListShardsCommand({ StreamName: stream }));
      return other.stats().delayedMs;
    };
    const first = await delays(9);
    expect(await delays(9)).toBe(first);
    expect(await delays(10)).not.toBe(first);
  });

  it('sends each entry to the shard kinesalite puts it on (MD5 hash ranges, ExplicitHashKey)', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 4);
    const model = install(kinesis, {});
    const keys = Array.from({ length: 40 }, (_unused, i) => `device-${i}`);
    const expected = new Map<string, string>();
    for (const key of keys) expected.set(key, await model.shardFor(stream, key));
    expect(new Set(expected.values()).size).toBe(4);

    // Explicit hash keys override the partition key: the start of each shard's range.
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    const explicit = Shards.map((shard, i) => ({
      PartitionKey: 'device-0',
      ExplicitHashKey: shard.HashKeyRange?.StartingHashKey ?? '',
      Data: Buffer.from(`explicit-${i}`),
    }));
    for (const [i, entry] of explicit.entries()) {
      const shard = await model.shardFor(stream, entry.PartitionKey, entry.ExplicitHashKey);
      expect(shard).toBe(Shards[i]?.ShardId);
      expected.set(`explicit-${i}`, shard);
    }

    const records = [...keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(key) })), ...explicit];
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
    expect(put.FailedRecordCount).toBe(0);
    expect(put.Records?.map((result) => result.ShardId)).toEqual(records.map((r) => expected.get(text(r.Data))));

    const landed = await readAllRecords(kinesis, stream);
    expect(landed).toHaveLength(records.length);
    for (const record of landed) expect(record.shardId).toBe(expected.get(text(record.Data)));
    const perShard = model.stats().perShard;
    for (const shard of Shards) {
      const count = [...expected.values()].filter((id) => id === shard.ShardId).length;
      expect(perShard[`${stream}/${shard.ShardId}`]).toEqual({ accepted: count, throttled: 0, calls: 1 });
    }
  });

  it('throttles entries over a shard’s records per second, per entry and in place, refilling with time', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 2);
    let clock = 1_000_000;
    const model = install(kinesis, { recordsPerSecond: 100, now: () => clock });
    const sent = countPutRecordsSent(kinesis);
    const shard = await model.shardFor(stream, 'one');

    const batch = entries(300, 'one', 'r');
    const first = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch }));
    expect(first.FailedRecordCount).toBe(200);
    const results = first.Records ?? [];
    expect(results).toHaveLength(300);
    for (const [i, result] of results.entries()) {
      if (i < 100) {
        expect(result).toMatchObject({ ShardId: shard, SequenceNumber: expect.any(String) });
        expect(result.ErrorCode).toBeUndefined();
      } else {
        expect(result.ErrorCode).toBe(THROTTLED);
        expect(result.ErrorMessage).toBe(
          `Rate exceeded for shard ${shard} in stream ${stream} under account 000000000000.`,
        );
        expect(result.SequenceNumber).toBeUndefined();
      }
    }
    let landed = await readAllRecords(kinesis, stream);
    expect(landed.map((r) => text(r.Data))).toEqual(batch.slice(0, 100).map((e) => text(e.Data)));

    // No time has passed: every entry is refused and kinesalite is not called.
    const retry = batch.slice(100);
    const refused = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: retry }));
    expect(refused.$metadata.httpStatusCode).toBe(200);
    expect(refused.FailedRecordCount).toBe(200);
    expect(refused.Records?.every((r) => r.ErrorCode === THROTTLED)).toBe(true);
    expect(sent.sent).toBe(1);

    clock += 1000;
    const second = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: retry }));
    expect(second.FailedRecordCount).toBe(100);
    expect(second.Records?.slice(0, 100).every((r) => r.SequenceNumber && !r.ErrorCode)).toBe(true);
    // Continuous refill: half a second is half a second's worth.
    clock += 500;
    const third = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch.slice(200) }));
    expect(third.FailedRecordCount).toBe(50);
    expect(sent.sent).toBe(3);

    landed = await readAllRecords(kinesis, stream);
    expect(landed.map((r) => text(r.Data))).toEqual(batch.slice(0, 250).map((e) => text(e.Data)));
    expect(model.stats()).toMatchObject({
      calls: 4,
      accepted: 250,
      throttled: 550,
      perShard: { [`${stream}/${shard}`]: { accepted: 250, throttled: 550, calls: 4 } },
    });

    model.reset();
    expect(model.stats()).toEqual({ calls: 0, accepted: 0, throttled: 0, delayedMs: 0, perShard: {} });
    const afterReset = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries(150, 'one', 'x') }),
    );
    expect(afterReset.FailedRecordCount).toBe(50);
  });

  it('throttles entries over a shard’s bytes per second (data + partition key)', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 2);
    let clock = 0;
    const model = install(kinesis, { bytesPerSecond: 100_000, now: () => clock });
    // 9,999 bytes of data + 1 byte of key = 10,000: ten fit exactly, the eleventh does not.
    const batch = entries(25, 'k', 'big', 9_999);
    const first = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch }));
    expect(first.FailedRecordCount).toBe(15);
    expect(first.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual([
      ...Array<string>(10).fill('ok'),
      ...Array<string>(15).fill(THROTTLED),
    ]);
    clock += 1000;
    const second = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch.slice(10) }));
    expect(second.FailedRecordCount).toBe(5);
    // A small entry still fits where a large one does not: 0.05 s refills 5,000 bytes.
    clock += 50;
    const mixed = [...entries(1, 'k', 'big', 9_999), { PartitionKey: 'k', Data: Buffer.from('small') }];
    const third = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: mixed }));
    expect(third.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual([THROTTLED, 'ok']);

    const landed = await readAllRecords(kinesis, stream);
    expect(landed.map((r) => text(r.Data))).toEqual([...batch.slice(0, 20).map((e) => text(e.Data)), 'small']);
    expect(model.stats()).toMatchObject({ accepted: 21, throttled: 21 });
  });

  it('limits two shards independently, keeping every entry’s position (StreamARN input too)', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 2);
    const model = install(kinesis, { recordsPerSecond: 100, now: () => 0 });
    const [[shardA, keyA], [shardB, keyB]] = [...(await keysPerShard(model, stream, 2)).entries()] as [
      [string, string],
      [string, string],
    ];
    const batch = [...entries(200, keyA, 'a'), ...entries(100, keyB, 'b')];
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}`, Records: batch }),
    );
    expect(put.FailedRecordCount).toBe(100);
    const results = put.Records ?? [];
    for (const [i, result] of results.entries()) {
      if (i >= 100 && i < 200) {
        expect(result.ErrorCode).toBe(THROTTLED);
        expect(result.ErrorMessage).toBe(
          `Rate exceeded for shard ${shardA} in stream ${stream} under account 123456789012.`,
        );
      } else {
        expect(result).toMatchObject({ ShardId: i < 100 ? shardA : shardB, SequenceNumber: expect.any(String) });
      }
    }
    const landed = await readAllRecords(kinesis, stream);
    const on = (shard: string) => landed.filter((r) => r.shardId === shard).map((r) => text(r.Data));
    expect(on(shardA)).toEqual(batch.slice(0, 100).map((e) => text(e.Data)));
    expect(on(shardB)).toEqual(batch.slice(200).map((e) => text(e.Data)));
    expect(model.stats().perShard).toEqual({
      [`${stream}/${shardA}`]: { accepted: 100, throttled: 100, calls: 1 },
      [`${stream}/${shardB}`]: { accepted: 100, throttled: 0, calls: 1 },
    });
  });

  it('throws ProvisionedThroughputExceededException for PutRecord over the limit; remove() restores kinesalite', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis, 1);
    const model = install(kinesis, { recordsPerSecond: 2, now: () => 0 });
    const one = () =>
      kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('p') }));
    await one();
    await one();
    await expect(one()).rejects.toMatchObject({ name: THROTTLED, message: expect.stringMatching(/^Rate exceeded/) });
    const refused = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries(5, 'k', 'r') }));
    expect(refused.FailedRecordCount).toBe(5);

    model.remove();
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries(300, 'k', 'r') }));
    expect(put.FailedRecordCount).toBe(0);
    await one();
    expect(model.stats()).toMatchObject({ calls: 4, accepted: 2, throttled: 6 });
    expect(await readAllRecords(kinesis, stream)).toHaveLength(303);
  });
});
