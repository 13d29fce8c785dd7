/**
 * The write-path benchmark's checks: read a stream back (every shard, from the start) and compare
 * it with what was written. Records are known by the `eventId` in their data (every benchmark record
 * is a telemetry event with a fresh one). The order that counts is that of the LAST copy of each
 * record per partition key: a re-put that keeps order behind a failed entry leaves an earlier
 * duplicate, which the consumer's eventId dedup drops.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

/** One record as read back: who it is, its key, its shard. */
export interface OnStream {
  id: string;
  partitionKey: string;
  shardId: string;
}

/** GetRecords pages per shard at most (10,000 records each): bounds the read of a runaway stream. */
const MAX_PAGES_PER_SHARD = 2_000;

/** The eventId of a benchmark record's data (JSON); '' when it has none. */
export function recordId(data: Uint8Array | undefined): string {
  if (!data) return '';
  try {
    const parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as {
      eventId?: unknown;
    };
    return typeof parsed.eventId === 'string' ? parsed.eventId : '';
  } catch {
    return '';
  }
}

/**
 * Every record on the stream, shard after shard, each shard in sequence order.
 *
 * @example
 * const onStream = await readStream(kinesis, 'bench-write-relay-0');
 */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<OnStream[]> {
  const shards: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const listed = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    for (const shard of listed.Shards ?? []) if (shard.ShardId) shards.push(shard.ShardId);
    token = listed.NextToken;
    if (!token) break;
  }
  const out: OnStream[] = [];
  for (const shardId of shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    for (let page = 0; iterator && page < MAX_PAGES_PER_SHARD; page += 1) {
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = got.Records ?? [];
      for (const record of records)
        out.push({ id: recordId(record.Data), partitionKey: record.PartitionKey ?? '', shardId });
      if (records.length === 0) break;
      iterator = got.NextShardIterator;
    }
  }
  return out;
}

/** What a writer wrote, in the order its partition keys must keep. */
export interface Expected {
  /** Record ids in input order (for a replay: the order it received its messages in). */
  ids: readonly string[];
  keys: readonly string[];
  /** Positions in `ids` that must be on the stream (the rest may be, e.g. a message the replay kept). */
  required?: (position: number) => boolean;
}

export interface CheckResult {
  expected: number;
  /** Required records not on the stream. */
  missing: number;
  /** Copies beyond the first (re-puts behind a failed entry, a retried call that had landed). */
  duplicates: number;
  /** Records of this writer whose last copy is out of input order within its partition key. */
  outOfOrder: number;
  /** Records on the stream under another key than they were written with. */
  wrongKey: number;
  /** Records on the stream that no writer of this check wrote. */
  unknown: number;
  keys: number;
  ok: boolean;
  /** A few examples, for the report. */
  problems: string[];
}

/**
 * Checks one or more writers against what is on the stream: every required record there, and the
 * last copies of each key's records in the writer's order.
 *
 * @example
 * const [relay] = checkStream(await readStream(kinesis, name), [{ ids, keys }]);
 */
export function checkStream(onStream: readonly OnStream[], writers: readonly Expected[]): CheckResult[] {
  // id -> [writer, position]
  const owner = new Map<string, [number, number]>();
  writers.forEach((writer, w) => {
    writer.ids.forEach((id, position) => {
      owner.set(id, [w, position]);
    });
  });
  const results: CheckResult[] = writers.map((writer) => ({
    expected: writer.ids.length,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    wrongKey: 0,
    unknown: 0,
    keys: new Set(writer.keys).size,
    ok: true,
    problems: [],
  }));
  const lastAt: Int32Array[] = writers.map((writer) => new Int32Array(writer.ids.length).fill(-1));
  let unknown = 0;
  onStream.forEach((record, at) => {
    const found = owner.get(record.id);
    if (!found) {
      unknown += 1;
      return;
    }
    const [w, position] = found;
    const result = results[w] as CheckResult;
    const last = lastAt[w] as Int32Array;
    if (last[position] !== -1) result.duplicates += 1;
    last[position] = at;
    if ((writers[w] as Expected).keys[position] !== record.partitionKey) {
      result.wrongKey += 1;
      if (result.problems.length < 5)
        result.problems.push(`record ${position} on the stream under key ${record.partitionKey}`);
    }
  });
  writers.forEach((writer, w) => {
    const result = results[w] as CheckResult;
    const last = lastAt[w] as Int32Array;
    // Per key, the last copies must come in input order (a key lives on one shard, read in order).
    const previous = new Map<string, { at: number; position: number }>();
    writer.ids.forEach((_id, position) => {
      const at = last[position] as number;
      if (at === -1) {
        if (writer.required?.(position) ?? true) {
          result.missing += 1;
          if (result.problems.length < 5) result.problems.push(`record ${position} (${writer.ids[position]}) missing`);
        }
        return;
      }
      const key = writer.keys[position] as string;
      const before = previous.get(key);
      if (before && before.at > at) {
        result.outOfOrder += 1;
        if (result.problems.length < 5)
          result.problems.push(`key ${key}: record ${position} is before record ${before.position} on the stream`);
      }
      if (!before || at > before.at) previous.set(key, { at, position });
    });
    result.ok = result.missing === 0 && result.outOfOrder === 0 && result.wrongKey === 0;
  });
  // Strangers count against every writer of the stream: none of them should see any.
  for (const result of results) {
    result.unknown = unknown;
    if (unknown > 0) {
      result.ok = false;
      if (result.problems.length < 5) result.problems.push(`${unknown} records on the stream nobody wrote`);
    }
  }
  return results;
}

/** One line for progress and the table. */
export function checkLine(result: CheckResult): string {
  const parts = [`${result.expected.toLocaleString('en-US')} records over ${result.keys} keys`];
  parts.push(result.missing ? `${result.missing} MISSING` : 'none missing');
  parts.push(result.outOfOrder ? `${result.outOfOrder} OUT OF ORDER` : 'order per key kept');
  if (result.wrongKey) parts.push(`${result.wrongKey} under the wrong key`);
  if (result.unknown) parts.push(`${result.unknown} unknown`);
  if (result.duplicates) parts.push(`${result.duplicates} duplicate copies`);
  return parts.join(', ');
}
