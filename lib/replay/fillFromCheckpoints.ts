/**
 * Fills the gap after a Kinesis trigger was deleted and re-created. An event source mapping can only
 * start every shard from one position (a limitation the Lambda docs state); the consumer, though, records the highest
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
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { consumeRecords } from '../consumer/consumeRecords';
import { decodeRecords } from '../consumer/decodeRecords';
import type { ConsumerDeps } from '../consumer/processBatch';
import { readCheckpoints, type StoredCheckpoint } from '../db/checkpoints';
import type { StreamRef } from '../kinesis/putRecords';
import { fromGetRecords } from '../kinesis/shardRecord';
import { listShards, ShardReader, type ShardStart } from '../kinesis/shardReader';
import type { Observability } from '../lambda/observability';
import { Pacer } from './pacer';
import type { FillRequest } from './request';

export interface FillOptions extends Partial<Omit<FillRequest, 'operation'>> {
  stream: StreamRef;
  /** The ARN the consumer saw as `eventSourceARN`: what its checkpoints are keyed by. */
  streamArn: string;
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
  /** Rows inserted (a dry run: valid records that would be handed to the write). */
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
  dryRun: boolean;
}

/** What a fill needs: the stream's reader and the consumer's own dependencies and observability. */
export interface FillDeps {
  kinesis: KinesisClient;
  consumer: ConsumerDeps;
  observability: Observability;
}

function startFor(
  checkpoint: StoredCheckpoint | undefined,
  options: FillOptions,
): { start: ShardStart; from: string } | undefined {
  if (!checkpoint) {
    if (options.uncheckpointedShards === 'skip') return undefined;
    return { start: { type: 'TRIM_HORIZON' }, from: 'oldest' };
  }
  if (options.rewindSeconds) {
    const at = new Date(checkpoint.arrival_time.getTime() - options.rewindSeconds * 1000);
    return { start: { type: 'AT_TIMESTAMP', timestamp: at }, from: `at ${at.toISOString()}` };
  }
  return {
    start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequence_number },
    from: `after ${checkpoint.sequence_number}`,
  };
}

/**
 * @returns per shard read, where it started, what it read and what became of it; `incomplete` where
 *   the deadline (or a checkpoint returned near it) left the rest of the shard for another run.
 * @throws what the consumer's write throws (a database or DLQ outage), with everything before the
 *   failing page already committed: a second fill skips it as duplicates.
 * @example
 * const report = await fillFromCheckpoints({ kinesis, consumer, observability }, { stream: { streamName }, streamArn, deadline });
 */
export async function fillFromCheckpoints(deps: FillDeps, options: FillOptions): Promise<FillReport> {
  const started = Date.now();
  const until = new Date(started);
  const batchSize = options.batchSize ?? 1_000;
  const dryRun = options.dryRun ?? false;
  const checkpoints = await readCheckpoints(deps.consumer.db, options.streamArn);
  const report: FillReport = { shards: [], until: until.toISOString(), durationMs: 0, dryRun };
  const pacer = new Pacer(options.recordsPerSecond);
  const wanted = options.shardIds?.length ? new Set(options.shardIds) : undefined;

  for (const shard of await listShards(deps.kinesis, options.stream, options.deadline)) {
    const shardId = shard.ShardId ?? '';
    if (wanted && !wanted.has(shardId)) continue;
    const start = startFor(checkpoints.get(shardId), options);
    if (!start) continue;
    const fill: ShardFill = {
      shardId,
      from: start.from,
      read: 0,
      written: 0,
      duplicates: 0,
      poison: 0,
      incomplete: false,
    };
    report.shards.push(fill);
    const reader = new ShardReader(deps.kinesis, {
      stream: options.stream,
      shardId,
      start: start.start,
      deadline: options.deadline,
    });
    // Bounded by the deadline, and by the shard: each page reads on or stops at the present.
    for (let pages = 0; pages < 1_000_000; pages += 1) {
      const page = await reader.next(Math.min(batchSize, pacer.slice()));
      if (!page) break;
      const fresh = page.records.filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) <= until.getTime());
      if (fresh.length > 0) {
        await pacer.wait(options.deadline);
        const records = fresh.map((r) => fromGetRecords(r, { streamArn: options.streamArn, shardId }));
        fill.read += records.length;
        pacer.count(records.length);
        if (dryRun) {
          const { valid, poison } = decodeRecords(records);
          fill.written += valid.length;
          fill.poison += poison.length;
        } else {
          const { stats, batchItemFailures } = await consumeRecords(records, deps.consumer, deps.observability);
          fill.written += stats.written;
          fill.duplicates += stats.duplicates;
          fill.poison += stats.poison;
          if (batchItemFailures.length > 0) {
            // Only returned near a deadline; the rest of this shard is for the next run.
            fill.incomplete = true;
            break;
          }
        }
        report.durationMs = Date.now() - started;
        options.onProgress?.(report);
      }
      if (fresh.length < page.records.length || page.atTip) break;
    }
    if (reader.stoppedByDeadline) fill.incomplete = true;
  }
  report.durationMs = Date.now() - started;
  return report;
}
