/**
 * The replay's range logic under generated input (fast-check), against a real kinesalite stream of
 * two shards holding records of every size Kinesis takes (empty to 1 MiB): any shard range Lambda's
 * on-failure record can name resolves to exactly its records, in order, none missing or extra, and
 * is reported expired exactly when it names more records than the shard still has; any run of
 * records packed into DLQ messages at any queue size limit (records too large for a message named
 * by sequence number and re-read from the shard) resolves to exactly the records that were packed.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { packRecordMessages } from '../../lib/dlq/packRecords';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { DlqRecordWithData } from '../../lib/dlq/recordMessage';
import { MAX_RECORD_BYTES } from '../../lib/kinesis/limits';
import { putRecords } from '../../lib/kinesis/putRecords';
import { streamResolver } from '../../lib/kinesis/streamRef';
import { resolveMessage } from '../../lib/replay/resolveMessage';
import { streamArnOf } from '../helpers/kinesisEvent';
import { createStream, readAllRecords, testKinesis, testS3 } from '../helpers/local';

const RECORDS = 150;
const SEED = Number(process.env.REPLAY_RANGE_SEED ?? Date.now() % 1_000_000);

interface StoredRecord {
  sequenceNumber: string;
  partitionKey: string;
  arrivalSeconds: number;
  data: Buffer;
}

/** Record sizes as a producer might send them: mostly small, some tens of KB, a few near the 1 MiB cap. */
const recordSize = fc.oneof(
  { weight: 80, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 16, arbitrary: fc.integer({ min: 2_000, max: 100_000 }) },
  { weight: 4, arbitrary: fc.integer({ min: 300_000, max: MAX_RECORD_BYTES - 16 }) },
);

/** Unique, recognisable bytes: a record's index first, then filler of the chosen size. */
function payload(index: number, size: number): Buffer {
  const head = Buffer.from(`#${index}#`);
  const data = Buffer.alloc(Math.max(size, head.length), index % 251);
  head.copy(data);
  return data;
}

let kinesis: KinesisClient;
let stream: string;
let streamArn: string;
const shards = new Map<string, StoredRecord[]>();

beforeAll(async () => {
  kinesis = testKinesis();
  stream = await createStream(kinesis, 2);
  streamArn = streamArnOf(stream);
  const sizes = fc.sample(recordSize, { seed: SEED, numRuns: RECORDS });
  sizes[0] = 0;
  sizes[1] = MAX_RECORD_BYTES - 16;
  const records = sizes.map((size, index) => ({ data: payload(index, size), partitionKey: `pk-${index % 7}` }));
  const put = await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 60_000 });
  expect(put.failed).toEqual([]);
  for (const record of await readAllRecords(kinesis, stream)) {
    const list = shards.get(record.shardId) ?? [];
    list.push({
      sequenceNumber: record.SequenceNumber ?? '',
      partitionKey: record.PartitionKey ?? '',
      arrivalSeconds: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
      data: Buffer.from(record.Data ?? []),
    });
    shards.set(record.shardId, list);
  }
  expect([...shards.values()].reduce((n, list) => n + list.length, 0)).toBe(RECORDS);
  expect(shards.size).toBe(2);
}, 120_000);

afterAll(() => kinesis?.destroy());

/** A shard and a run of its records [from, to]. */
const range = fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 40 })).map(([pick, start, length]) => {
  const entries = [...shards.entries()];
  const [shardId, list] = entries[pick % entries.length] as [string, StoredRecord[]];
  const from = start % list.length;
  return { shardId, list, from, to: Math.min(list.length - 1, from + length) };
});

const deps = (): Parameters<typeof resolveMessage>[1] => ({
  kinesisFor: () => kinesis,
  s3: testS3(),
  resolveStream: streamResolver({ region: 'us-east-1', streamAddressing: 'name' }),
  deadline: Date.now() + 60_000,
});

function same(got: { data: Uint8Array; partitionKey: string }[], want: readonly StoredRecord[]): void {
  // Compared by identity (index header), size and bytes: a mismatch names which record went wrong.
  expect(
    got.map((r) => [Buffer.from(r.data).subarray(0, 12).toString('latin1'), r.data.byteLength, r.partitionKey]),
  ).toEqual(want.map((r) => [r.data.subarray(0, 12).toString('latin1'), r.data.byteLength, r.partitionKey]));
  got.forEach((r, k) => {
    expect(Buffer.from(r.data).equals((want[k] as StoredRecord).data)).toBe(true);
  });
}

describe(`replay ranges (fast-check, kinesalite; seed ${SEED})`, () => {
  it('resolves any on-failure range to exactly its records, expired exactly when it names more than the shard has', async () => {
    await fc.assert(
      fc.asyncProperty(range, fc.integer({ min: -5, max: 5 }), async ({ shardId, list, from, to }, skew) => {
        const want = list.slice(from, to + 1);
        // batchSize above the count: records have gone; below: other keys' records share the range (parallelization).
        const batchSize = Math.max(1, want.length + skew);
        const body = JSON.stringify({
          requestContext: {
            requestId: 'r',
            functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: 3,
          },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          version: '1.0',
          timestamp: new Date().toISOString(),
          KinesisBatchInfo: {
            shardId,
            startSequenceNumber: list[from]?.sequenceNumber,
            endSequenceNumber: list[to]?.sequenceNumber,
            approximateArrivalOfFirstRecord: new Date((list[from]?.arrivalSeconds ?? 0) * 1000).toISOString(),
            approximateArrivalOfLastRecord: new Date((list[to]?.arrivalSeconds ?? 0) * 1000).toISOString(),
            batchSize,
            streamArn,
          },
        });
        const resolved = await resolveMessage(parseDlqMessage(body), deps());
        same(resolved.records, want);
        expect({
          expired: resolved.expired,
          lost: resolved.lostToRetention,
          incomplete: resolved.incomplete,
          shardId: resolved.shardId,
        }).toEqual({
          expired: batchSize > want.length,
          lost: Math.max(0, batchSize - want.length),
          incomplete: false,
          shardId,
        });
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('resolves records packed at any queue limit back to exactly those records, re-reading the ones too large to carry', async () => {
    const limit = fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 16_384, max: 262_144 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1_024, max: 16_384 }) },
      { weight: 1, arbitrary: fc.constant(1_048_576) },
    );
    let reRead = 0;
    await fc.assert(
      fc.asyncProperty(range, limit, async ({ shardId, list, from, to }, maxBytes) => {
        const want = list.slice(from, Math.min(to, from + 11) + 1);
        const records: DlqRecordWithData[] = want.map((r) => ({
          sequenceNumber: r.sequenceNumber,
          partitionKey: r.partitionKey,
          approximateArrivalTimestamp: r.arrivalSeconds,
          data: r.data.toString('base64'),
        }));
        const bodies = packRecordMessages(
          { reason: 'db-rejected', error: 'test', function: 'consumer', streamArn, shardId },
          records,
          maxBytes,
        );
        const got = [];
        for (const body of bodies) {
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBytes);
          const parsed = parseDlqMessage(body);
          if (parsed.kind === 'records') reRead += parsed.message.records.filter((r) => r.data === undefined).length;
          const resolved = await resolveMessage(parsed, deps());
          expect({ expired: resolved.expired, incomplete: resolved.incomplete }).toEqual({
            expired: false,
            incomplete: false,
          });
          got.push(...resolved.records);
        }
        same(got, want);
      }),
      { numRuns: 200 },
    );
    // Some runs did carry records too large for their message (re-read from the shard).
    expect(reRead).toBeGreaterThan(0);
  }, 60_000);
});
