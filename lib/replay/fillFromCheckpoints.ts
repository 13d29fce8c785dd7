/**
 * Fills the gap after a Kinesis trigger was deleted and re-created. An event source mapping can only
 * start every shard from one position (the seed's complaint); the consumer, though, records the highest
 * sequence number it committed per shard. This reads each shard from just after that checkpoint up to
 * the moment the run started, and hands the records to the consumer's own write path (not back into
 * the stream, which would make every other reader see them twice).
 *
 * Guarantee: with `parallelizationFactor` 1 a shard's batches commit in order, so everything up to
 * the checkpoint is written and the fill starts exactly where the old trigger stopped. With a factor
 * above 1, lanes commit out of order and records just below the checkpoint may be missing; give
 * `rewindSeconds` (at least the function timeout times the retries + 1) and the fill starts that much
 * earlier by arrival time. Either way the writes are idempotent, so overlap with the new trigger
 * (re-created at LATEST) or with an earlier fill only skips duplicates.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard, type GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import type { ConsumerDeps } from '../consumer/processBatch';
import { processBatch } from '../consumer/processBatch';
import { sleep } from '../kinesis/backoff';
import type { StreamRef } from '../kinesis/putRecords';
import { buildKinesisEvent } from '../kinesis/lambdaEvent';
import { toStreamRecord } from '../kinesis/streamRecord';
import { MIN_GET_RECORDS_INTERVAL_MS } from './readRange';

export interface FillOptions {
  stream: StreamRef;
  /** The ARN the consumer saw as `eventSourceARN`: what its checkpoints are keyed by. */
  streamArn: string;
  region: string;
  /** Start this much earlier than each checkpoint's arrival time (parallelizationFactor > 1). */
  rewindSeconds?: number;
  /** Read shards without a checkpoint from their oldest record (default) or skip them. */
  uncheckpointedShards?: 'trim-horizon' | 'skip';
  /** Records per write, as the trigger's batch size. */
  batchSize?: number;
  /** Epoch ms: stop starting new work after this. */
  deadline: number;
  onProgress?: (report: FillReport) => void;
}

export interface ShardFill {
  shardId: string;
  /** Where reading started: `after <seq>`, `at <time>`, or `oldest`. */
  from: string;
  read: number;
  written: number;
  duplicates: number;
  poison: number;
  /** The deadline cut this shard short. */
  incomplete: boolean;
}

export interface FillReport {
  shards: ShardFill[];
  /** Records that arrived after this were left to the new trigger. */
  until: string;
  durationMs: number;
}

interface Checkpoint {
  shard_id: string;
  sequence_number: string;
  arrival_time: Date;
}

function streamParams(stream: StreamRef): { StreamName: string } | { StreamARN: string } {
  return 'streamName' in stream ? { StreamName: stream.streamName } : { StreamARN: stream.streamArn };
}

async function listShards(kinesis: KinesisClient, stream: StreamRef): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1_000; page += 1) {
    const response = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { ...streamParams(stream) }));
    shards.push(...(response.Shards ?? []));
    token = response.NextToken;
    if (!token) break;
  }
  return shards;
}

function startFor(checkpoint: Checkpoint | undefined, options: FillOptions): { input: Omit<GetShardIteratorCommandInput, 'ShardId'>; from: string } | undefined {
  const stream = streamParams(options.stream);
  if (!checkpoint) {
    if (options.uncheckpointedShards === 'skip') return undefined;
    return { input: { ...stream, ShardIteratorType: 'TRIM_HORIZON' }, from: 'oldest' };
  }
  if (options.rewindSeconds) {
    const at = new Date(checkpoint.arrival_time.getTime() - options.rewindSeconds * 1000);
    return { input: { ...stream, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: at }, from: `at ${at.toISOString()}` };
  }
  return {
    input: { ...stream, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint.sequence_number },
    from: `after ${checkpoint.sequence_number}`,
  };
}

/**
 * @example
 * const report = await fillFromCheckpoints(kinesis, consumerDeps, { stream: { streamName }, streamArn, region, deadline });
 */
export async function fillFromCheckpoints(kinesis: KinesisClient, consumer: ConsumerDeps, options: FillOptions): Promise<FillReport> {
  const started = Date.now();
  const until = new Date(started);
  const batchSize = options.batchSize ?? 1_000;
  const { rows } = await consumer.db.query<Checkpoint>(
    'SELECT shard_id, sequence_number::text AS sequence_number, arrival_time FROM shard_checkpoints WHERE stream_arn = $1',
    [options.streamArn],
  );
  const checkpoints = new Map(rows.map((row) => [row.shard_id, row]));
  const report: FillReport = { shards: [], until: until.toISOString(), durationMs: 0 };
  const source = { streamArn: options.streamArn, region: options.region, invokeIdentityArn: 'replay' };

  for (const shard of await listShards(kinesis, options.stream)) {
    const shardId = shard.ShardId ?? '';
    const start = startFor(checkpoints.get(shardId), options);
    if (!start) continue;
    const fill: ShardFill = { shardId, from: start.from, read: 0, written: 0, duplicates: 0, poison: 0, incomplete: false };
    report.shards.push(fill);
    let { ShardIterator: iterator } = await kinesis.send(new GetShardIteratorCommand({ ...start.input, ShardId: shardId }));
    let lastCall = 0;
    // Bounded by the deadline, and by the shard: each pass reads on or stops at the present.
    for (let passes = 0; iterator && passes < 1_000_000; passes += 1) {
      if (Date.now() >= options.deadline) {
        fill.incomplete = true;
        break;
      }
      const wait = lastCall + MIN_GET_RECORDS_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait);
      lastCall = Date.now();
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      const fresh = (page.Records ?? []).filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) <= until.getTime());
      if (fresh.length > 0) {
        const event = buildKinesisEvent(fresh.map((r) => toStreamRecord(r, shardId, Date.now())), source);
        const { stats, batchItemFailures } = await processBatch(event.Records, consumer);
        fill.read += fresh.length;
        fill.written += stats.written;
        fill.duplicates += stats.duplicates;
        fill.poison += stats.poison;
        if (batchItemFailures.length > 0) {
          // Only returned near a deadline; the rest of this shard is for the next run.
          fill.incomplete = true;
          break;
        }
        report.durationMs = Date.now() - started;
        options.onProgress?.(report);
      }
      const reachedPresent = fresh.length < (page.Records ?? []).length || ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0);
      if (reachedPresent) break;
      iterator = page.NextShardIterator;
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}
