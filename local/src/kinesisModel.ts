/**
 * A simulated Kinesis at real limits, for tests and benchmarks of a concurrent, adaptive PutRecords
 * path. kinesalite answers in about a millisecond, never throttles and has no per-shard limits, so a
 * writer tuned against it learns nothing about AWS. This SDK middleware, installed on a
 * `KinesisClient` that points at kinesalite, adds what is missing.
 *
 * It is a model, not Kinesis. It models:
 * - latency: a fixed delay added to every command (optionally with seeded, repeatable jitter);
 * - per-shard write limits: records per second and bytes per second (data + partition key), for
 *   PutRecords and PutRecord;
 * - per-entry throttling as Kinesis reports it: over-limit PutRecords entries get
 *   `ProvisionedThroughputExceededException` in place, are counted in `FailedRecordCount` and are
 *   really not written (they are removed from the request; when all are refused kinesalite is not
 *   called at all); an over-limit PutRecord throws that exception, as Kinesis does;
 * - which shard an entry goes to: MD5 of the partition key as a 128-bit unsigned integer (or the
 *   `ExplicitHashKey`), in the `HashKeyRange` of an open shard, read from the real stream by
 *   `ListShards`.
 *
 * The rate is a token bucket per shard and dimension, holding one second's worth and refilled
 * continuously. Kinesis counts in per-second windows and allows some undocumented burst, so the
 * model is smoother than AWS at sub-second scales and equal on average.
 *
 * It does not model: read limits (5 GetRecords calls/s and 2 MiB/s per shard), per-stream and
 * account limits (control-plane rates, shard quotas), on-demand mode and its scaling, hot-shard
 * splitting or any resharding by itself, Kinesis's exact burst accounting, or whole-call
 * `ThrottlingException` / `LimitExceededException`. Use `__tests__/helpers/kinesisFaults.ts` to
 * inject those by hand.
 */
import { createHash } from 'node:crypto';
import {
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandInput,
  ProvisionedThroughputExceededException,
  type PutRecordCommandInput,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { seededRandom } from './load/random';

export interface KinesisModelOptions {
  /** Delay added before every command is sent, in ms (default 0). */
  latencyMs?: number;
  /** Up to this much more delay, uniform in [0, jitterMs), drawn from `seed` (default 0). */
  jitterMs?: number;
  /** Seed for the jitter, so a run can be repeated (default 1). */
  seed?: number;
  /** Records each shard takes per second (default 1,000, as Kinesis). */
  recordsPerSecond?: number;
  /** Bytes (data + partition key) each shard takes per second (default 1 MiB, as Kinesis). */
  bytesPerSecond?: number;
  /** Account named in throttling messages when the stream is addressed by name (default kinesalite's). */
  accountId?: string;
  /** The clock of the rate model, in ms (default `performance.now`); inject one to make limits exact in tests. */
  now?: () => number;
}

export interface ShardStats {
  /** Entries (PutRecords entries and PutRecord calls) the shard took. */
  accepted: number;
  /** Entries refused as over the shard's limits. */
  throttled: number;
  /** Put calls with at least one entry for this shard. */
  calls: number;
}

export interface KinesisModelStats {
  /** PutRecords and PutRecord calls seen (including those answered without reaching kinesalite). */
  calls: number;
  accepted: number;
  throttled: number;
  /** Total delay added to all commands, in ms: what a benchmark may subtract as the model's own. */
  delayedMs: number;
  /** Keyed by `<stream name>/<shard id>`, so one client may write to several streams. */
  perShard: Record<string, ShardStats>;
}

export interface KinesisModel {
  stats(): KinesisModelStats;
  /** Zeroes the statistics and refills every bucket, as if the streams had been idle. */
  reset(): void;
  /** Forgets the cached shard lists; the next call re-reads them with ListShards (after resharding). */
  refresh(): void;
  /** The shard the model sends an entry to, e.g. to pick partition keys per shard in a benchmark. */
  shardFor(streamName: string, partitionKey: string, explicitHashKey?: string): Promise<string>;
  /** Takes the middleware off the client; the client behaves as before. */
  remove(): void;
}

interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

/** One dimension's token bucket: capacity one second's worth, refilled continuously. */
interface Bucket {
  tokens: number;
  at: number;
}

interface ShardState {
  records: Bucket;
  bytes: Bucket;
}

type PutInput = PutRecordsCommandInput | PutRecordCommandInput;

const DEFAULT_ACCOUNT = '000000000000';

function isPutRecords(input: unknown): input is PutRecordsCommandInput {
  return typeof input === 'object' && input !== null && Array.isArray((input as PutRecordsCommandInput).Records);
}

function isPutRecord(input: unknown): input is PutRecordCommandInput {
  const candidate = input as PutRecordCommandInput;
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof candidate.PartitionKey === 'string' &&
    candidate.Data !== undefined &&
    !('Records' in candidate)
  );
}

/**
 * The stream's name and account from a put input. kinesalite predates `StreamARN` parameters, so
 * the name is what it (and ListShards) needs.
 */
function streamOf(input: PutInput, defaultAccount: string): { name: string; account: string } | undefined {
  if (input.StreamName) return { name: input.StreamName, account: defaultAccount };
  const arn = /^arn:[^:]+:kinesis:[^:]*:(\d*):stream\/(.+)$/.exec(input.StreamARN ?? '');
  if (!arn) return undefined;
  return { name: arn[2] ?? '', account: arn[1] || defaultAccount };
}

/**
 * The 128-bit hash key Kinesis routes an entry by: the explicit one when given, else the MD5 of the
 * partition key (UTF-8) read as an unsigned big-endian integer.
 */
export function hashKeyOf(partitionKey: string, explicitHashKey?: string): bigint {
  if (explicitHashKey !== undefined && explicitHashKey !== '') return BigInt(explicitHashKey);
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** Bytes an entry counts against a shard's limit: data plus partition key, as Kinesis counts. */
function entryBytes(entry: { Data?: Uint8Array; PartitionKey?: string }): number {
  return (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '', 'utf8');
}

function shardOf(shards: readonly ShardRange[], hashKey: bigint): string | undefined {
  return shards.find((shard) => shard.start <= hashKey && hashKey <= shard.end)?.shardId;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Puts a model of Kinesis's latency and per-shard write limits on `kinesis` (see the module comment
 * for what is and is not modelled). Install it after creating the streams: shard lists are read
 * once per stream and cached until `refresh()`.
 *
 * @example
 * const kinesis = createKinesisClient(aws); // pointed at kinesalite
 * const model = simulateKinesisLimits(kinesis, { latencyMs: 20, jitterMs: 10, seed: 7 });
 * await putRecords(kinesis, stream, events); // some entries come back ProvisionedThroughputExceeded
 * console.log(model.stats().throttled);
 * model.remove();
 */
export function simulateKinesisLimits(kinesis: KinesisClient, options: KinesisModelOptions = {}): KinesisModel {
  const name = `kinesis-model-${Math.random()}`;
  const latencyMs = options.latencyMs ?? 0;
  const jitterMs = options.jitterMs ?? 0;
  const recordsPerSecond = options.recordsPerSecond ?? 1_000;
  const bytesPerSecond = options.bytesPerSecond ?? 1_048_576;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const now = options.now ?? (() => performance.now());
  if (!(recordsPerSecond > 0) || !(bytesPerSecond > 0)) throw new RangeError('limits must be positive');
  const random = seededRandom(options.seed ?? 1);

  // Our own ListShards calls go through the same client (same endpoint, credentials and handler)
  // and are recognised by their input object, so they pass the model untouched.
  const internal = new WeakSet<object>();
  const shardLists = new Map<string, Promise<ShardRange[]>>();
  const states = new Map<string, ShardState>();
  let stats: KinesisModelStats = { calls: 0, accepted: 0, throttled: 0, delayedMs: 0, perShard: {} };

  async function listShards(streamName: string): Promise<ShardRange[]> {
    const out: ShardRange[] = [];
    let token: string | undefined;
    do {
      const input: ListShardsCommandInput = token ? { NextToken: token } : { StreamName: streamName };
      internal.add(input);
      const page = await kinesis.send(new ListShardsCommand(input));
      for (const shard of page.Shards ?? []) {
        const range = shard.HashKeyRange;
        // Closed shards (after resharding) take no writes.
        if (!shard.ShardId || !range?.StartingHashKey || !range.EndingHashKey) continue;
        if (shard.SequenceNumberRange?.EndingSequenceNumber) continue;
        out.push({ shardId: shard.ShardId, start: BigInt(range.StartingHashKey), end: BigInt(range.EndingHashKey) });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  function shardsOf(streamName: string): Promise<ShardRange[]> {
    let list = shardLists.get(streamName);
    if (!list) {
      list = listShards(streamName);
      shardLists.set(streamName, list);
      // A failed lookup (e.g. no such stream yet) is not cached.
      list.catch(() => shardLists.delete(streamName));
    }
    return list;
  }

  function refill(bucket: Bucket, perSecond: number, at: number): void {
    bucket.tokens = Math.min(perSecond, bucket.tokens + (Math.max(0, at - bucket.at) * perSecond) / 1000);
    bucket.at = at;
  }

  /** Takes one entry of `bytes` from the shard's buckets if both have room; refused entries cost nothing. */
  function admit(key: string, bytes: number, at: number): boolean {
    let state = states.get(key);
    if (!state) {
      state = { records: { tokens: recordsPerSecond, at }, bytes: { tokens: bytesPerSecond, at } };
      states.set(key, state);
    }
    refill(state.records, recordsPerSecond, at);
    refill(state.bytes, bytesPerSecond, at);
    if (state.records.tokens < 1 || state.bytes.tokens < bytes) return false;
    state.records.tokens -= 1;
    state.bytes.tokens -= bytes;
    return true;
  }

  /** Decides each entry, in order, at one instant; returns per entry whether it was refused, and the message. */
  function decide(
    stream: { name: string; account: string },
    shards: readonly ShardRange[],
    entries: readonly { PartitionKey?: string; ExplicitHashKey?: string; Data?: Uint8Array }[],
  ): (string | undefined)[] {
    const at = now();
    stats.calls += 1;
    const touched = new Set<string>();
    return entries.map((entry) => {
      const shardId = shardOf(shards, hashKeyOf(entry.PartitionKey ?? '', entry.ExplicitHashKey));
      // An entry no shard covers is left for kinesalite to judge.
      if (shardId === undefined) return undefined;
      const key = `${stream.name}/${shardId}`;
      const shardStats = (stats.perShard[key] ??= { accepted: 0, throttled: 0, calls: 0 });
      if (!touched.has(key)) {
        touched.add(key);
        shardStats.calls += 1;
      }
      if (admit(key, entryBytes(entry), at)) {
        shardStats.accepted += 1;
        stats.accepted += 1;
        return undefined;
      }
      shardStats.throttled += 1;
      stats.throttled += 1;
      return `Rate exceeded for shard ${shardId} in stream ${stream.name} under account ${stream.account}.`;
    });
  }

  kinesis.middlewareStack.add(
    (next) => async (args) => {
      const input: unknown = args.input;
      if (typeof input === 'object' && input !== null && internal.has(input)) return next(args);
      const delay = latencyMs + (jitterMs > 0 ? random() * jitterMs : 0);
      stats.delayedMs += delay;
      if (!isPutRecords(input) && !isPutRecord(input)) {
        await sleep(delay);
        return next(args);
      }
      const stream = streamOf(input, accountId);
      const shards = stream ? await shardsOf(stream.name).catch(() => undefined) : undefined;
      await sleep(delay);
      if (!stream || !shards) return next(args);
      // kinesalite knows only StreamName: an ARN-addressed call is forwarded by name.
      const { StreamARN: _arn, ...byName } = input;
      const named = { ...byName, StreamName: stream.name };

      if (isPutRecord(input)) {
        const [refused] = decide(stream, shards, [input]);
        if (refused) {
          throw new ProvisionedThroughputExceededException({ message: refused, $metadata: { httpStatusCode: 400 } });
        }
        return next({ ...args, input: named });
      }

      const entries: PutRecordsRequestEntry[] = input.Records ?? [];
      const refusals = decide(stream, shards, entries);
      const failed = (message: string): PutRecordsResultEntry => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: message,
      });
      const kept = entries.filter((_entry, position) => refusals[position] === undefined);
      if (kept.length === 0 && entries.length > 0) {
        const output: PutRecordsCommandOutput = {
          $metadata: { httpStatusCode: 200 },
          FailedRecordCount: entries.length,
          Records: refusals.map((message) => failed(message ?? '')),
        };
        return { output, response: {} };
      }
      const result = await next({ ...args, input: { ...named, Records: kept } });
      const output = result.output as PutRecordsCommandOutput;
      const real = [...(output.Records ?? [])];
      const merged = refusals.map((message) =>
        message === undefined ? (real.shift() as PutRecordsResultEntry) : failed(message),
      );
      const failedCount = merged.filter((entry) => entry.ErrorCode).length;
      return { ...result, output: { ...output, Records: merged, FailedRecordCount: failedCount } };
    },
    { step: 'initialize', name },
  );

  return {
    stats: () => structuredClone(stats),
    reset: () => {
      stats = { calls: 0, accepted: 0, throttled: 0, delayedMs: 0, perShard: {} };
      states.clear();
    },
    refresh: () => shardLists.clear(),
    shardFor: async (streamName, partitionKey, explicitHashKey) => {
      const shardId = shardOf(await shardsOf(streamName), hashKeyOf(partitionKey, explicitHashKey));
      if (shardId === undefined) throw new RangeError(`no open shard of ${streamName} covers that hash key`);
      return shardId;
    },
    remove: () => {
      kinesis.middlewareStack.remove(name);
    },
  };
}
