/**
 * The concurrent write path against kinesalite, with latency added per call and partial failures
 * injected by SDK middleware (kinesalite has neither): calls side by side, never two carrying one
 * partition key at once, order per key kept through retries, adaptation to throttling, deadlines.
 */
import type { KinesisClient, PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { AdaptiveLimit } from '../../lib/kinesis/adaptiveLimit';
import { laneIndexes, putRecordsConcurrently } from '../../lib/kinesis/putConcurrently';
import { injectPartialFailures } from '../helpers/kinesisFaults';
import { expectedOrderByKey, lastCopyOrderByKey, makeRecords } from '../helpers/kinesisOrder';
import { simulateKinesisLimits } from '../../local/src/kinesisModel';
import { createStream, testKinesis } from '../helpers/local';

const soon = (ms = 30_000): number => Date.now() + ms;

/** Adds `ms` to every PutRecords call and records which keys each call in flight carries. */
function slowAndWatched(kinesis: KinesisClient, ms: number) {
  const inFlight = new Map<number, Set<string>>();
  const seen = { maxCalls: 0, overlaps: 0, calls: 0 };
  let next = 0;
  kinesis.middlewareStack.add(
    (handler) => async (args) => {
      const input = args.input as PutRecordsCommandInput;
      if (!Array.isArray(input.Records)) return handler(args);
      const id = (next += 1);
      const keys = new Set(input.Records.map((r) => r.PartitionKey ?? ''));
      for (const other of inFlight.values()) for (const key of keys) if (other.has(key)) seen.overlaps += 1;
      inFlight.set(id, keys);
      seen.calls += 1;
      seen.maxCalls = Math.max(seen.maxCalls, inFlight.size);
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return await handler(args);
      } finally {
        inFlight.delete(id);
      }
    },
    // Outermost: its latency covers the fault injection's answer too, as a round trip would.
    { step: 'initialize', name: `slow-${Math.random()}`, priority: 'high' },
  );
  return seen;
}

describe('putRecordsConcurrently against kinesalite', () => {
  let kinesis: KinesisClient;
  beforeEach(() => {
    kinesis = testKinesis();
  });
  afterEach(() => kinesis.destroy());

  it('splits records into lanes by key: every key in one lane, in order, lanes balanced', () => {
    const records = makeRecords(1_000, 40);
    const lanes = laneIndexes(records, 8);
    expect(lanes).toHaveLength(8);
    expect(lanes.flat().sort((a, b) => a - b)).toEqual(records.map((_r, i) => i));
    const laneOfKey = new Map<string, number>();
    lanes.forEach((lane, n) => {
      expect([...lane].sort((a, b) => a - b)).toEqual(lane);
      for (const i of lane) {
        const key = records[i]?.partitionKey ?? '';
        expect(laneOfKey.get(key) ?? n).toBe(n);
        laneOfKey.set(key, n);
      }
    });
    expect(Math.max(...lanes.map((l) => l.length)) - Math.min(...lanes.map((l) => l.length))).toBeLessThanOrEqual(50);
    expect(laneIndexes(makeRecords(10, 1), 8)).toHaveLength(1);
  });

  it('keeps several calls in flight, never two with one key, and order per key through injected partial failures', async () => {
    const stream = await createStream(kinesis, 4);
    const records = makeRecords(4_000, 60, 200);
    const seen = slowAndWatched(kinesis, 15);
    // Every 7th entry of the first 12 calls fails: retries, and re-puts behind failed entries, in every lane.
    const faults = injectPartialFailures(kinesis, {
      fails: (_entry, call, position) => call <= 12 && position % 7 === 3,
    });
    const result = await putRecordsConcurrently(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      concurrency: 8,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    faults.remove();
    expect({ put: result.put, failed: result.failed }).toEqual({ put: 4_000, failed: [] });
    expect(result.retriedEntries).toBeGreaterThan(0);
    expect(seen.maxCalls).toBeGreaterThan(1);
    expect(seen.maxCalls).toBeLessThanOrEqual(8);
    expect(seen.overlaps).toBe(0);
    expect(await lastCopyOrderByKey(kinesis, stream)).toEqual(
      expectedOrderByKey(
        records,
        records.map((_r, i) => i),
      ),
    );
    expect(result.placements.every((p) => p !== undefined)).toBe(true);
  }, 60_000);

  it('halves the calls in flight when the stream throttles and grows them back when calls come back clean', async () => {
    const stream = await createStream(kinesis, 2);
    const records = makeRecords(3_000, 48, 100);
    slowAndWatched(kinesis, 10);
    let throttling = true;
    injectPartialFailures(kinesis, { fails: (_entry, _call, position) => throttling && position % 2 === 0 });
    const limit = new AdaptiveLimit(8);
    const first = await putRecordsConcurrently(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      concurrency: 8,
      limit,
      retry: { baseDelayMs: 5, maxDelayMs: 10, maxAttempts: 4 },
    });
    expect(limit.history.decreases).toBeGreaterThan(0);
    expect(limit.history.lowest).toBeLessThan(8);
    expect(limit.current).toBeLessThan(8);
    // Whatever did not get in is reported, by index, as throttled: nothing silently lost.
    expect(first.put + first.failed.length).toBe(3_000);
    expect(new Set(first.failed.map((f) => f.code))).toEqual(new Set(['ProvisionedThroughputExceededException']));
    throttling = false;
    const afterThrottling = limit.current;
    const decreases = limit.history.decreases;
    // Clean calls add 1/limit each: about one more call in flight per round of clean calls.
    const grown: number[] = [];
    for (let round = 0; round < 10 && limit.current < 8; round += 1) {
      const clean = await putRecordsConcurrently(kinesis, makeRecords(2_000, 48, 100), {
        stream: { streamName: stream },
        deadline: soon(),
        concurrency: 8,
        limit,
      });
      expect(clean.failed).toEqual([]);
      grown.push(limit.current);
    }
    expect(grown[0]).toBeGreaterThan(afterThrottling);
    expect(limit.current).toBe(8);
    expect(grown).toEqual([...grown].sort((a, b) => a - b));
    expect(limit.history.decreases).toBe(decreases);
  }, 60_000);

  it('against the shard model (2 shards of 300 records/s): backs off, gets everything in, in order per key', async () => {
    const stream = await createStream(kinesis, 2);
    const model = simulateKinesisLimits(kinesis, { latencyMs: 5, recordsPerSecond: 300 });
    const records = makeRecords(1_500, 30, 100);
    const limit = new AdaptiveLimit(8);
    const result = await putRecordsConcurrently(kinesis, records, {
      stream: { streamName: stream },
      deadline: soon(),
      concurrency: 8,
      limit,
      retry: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 100 },
    });
    model.remove();
    expect({ put: result.put, failed: result.failed }).toEqual({ put: 1_500, failed: [] });
    // The model refused entries per shard, as Kinesis does; the limit came down in answer.
    expect(model.stats().throttled).toBeGreaterThan(0);
    expect(limit.history.decreases).toBeGreaterThan(0);
    expect(await lastCopyOrderByKey(kinesis, stream)).toEqual(
      expectedOrderByKey(
        records,
        records.map((_r, i) => i),
      ),
    );
  }, 60_000);

  it('stops at the deadline: nothing starts after it, and everything not put is reported', async () => {
    const stream = await createStream(kinesis, 2);
    const records = makeRecords(5_000, 4, 100);
    slowAndWatched(kinesis, 60);
    const deadline = Date.now() + 150;
    const result = await putRecordsConcurrently(kinesis, records, {
      stream: { streamName: stream },
      deadline,
      concurrency: 2,
    });
    expect(Date.now() - deadline).toBeLessThan(2_000);
    expect(result.put).toBeLessThan(5_000);
    expect(result.put + result.failed.length).toBe(5_000);
    expect(
      result.failed.every(
        (f) => f.code === 'DEADLINE_EXCEEDED' || f.code === 'TimeoutError' || f.code === 'AbortError',
      ),
    ).toBe(true);
  }, 30_000);
});
