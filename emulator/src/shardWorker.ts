/**
 * One shard of one mapping: a reader that polls GetRecords (at most 5 calls/s, as Kinesis allows)
 * and deals records onto `parallelizationFactor` lanes by partition-key hash, and one loop per
 * lane that batches and invokes, one batch in flight per lane. A shard is finished once its
 * iterator ran out (SHARD_END after a split or merge) and every record read is done.
 *
 * In-flight records on stop: the invocation running finishes (or times out); what it processed is
 * checkpointed, the rest of its batch and everything buffered is left un-checkpointed.
 */
import { exponentialDelay } from './backoff';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { errorMessage } from './errors';
import { CheckpointTracker } from './checkpointTracker';
import { MAX_PAYLOAD_BYTES, recordPayloadBytes } from './kinesisEvent';
import { laneOf } from './laneOf';
import type { MappingRuntime } from './mappingRuntime';
import { runBatch } from './runBatch';
import { toStreamRecord, type StreamRecord } from './streamRecord';
import type { ShardState, StartingPosition } from './types';
import { Wakeup } from './wakeup';

/** Longest wait between failed GetShardIterator / GetRecords calls. */
const READ_RETRY_MAX_MS = 5_000;

/** Kinesis allows 5 GetRecords calls per second per shard, shared by all its readers. */
export const MIN_GET_RECORDS_INTERVAL_MS = 200;
const MAX_RECORDS_PER_GET = 10_000;

export interface ShardStart {
  shardId: string;
  position: StartingPosition;
  /** With AT_TIMESTAMP. */
  timestamp?: Date;
  /** A checkpoint from an earlier run: read from just after it instead of `position`. */
  after?: string;
}

export class ShardWorker {
  readonly shardId: string;
  private stateValue: ShardState = 'reading';
  private readonly tracker = new CheckpointTracker();
  private readonly lanes: StreamRecord[][];
  private readonly laneWakeups: Wakeup[];
  private readonly readerWakeup = new Wakeup();
  private ended = false;
  private lastReadSequence: string | undefined;
  /** Start time of the last GetRecords that found the shard's tip (nothing newer to read). */
  private caughtUpAt = Number.NEGATIVE_INFINITY;
  private readonly maxBuffered: number;
  readonly done: Promise<void>;

  constructor(
    private readonly runtime: MappingRuntime,
    private readonly start: ShardStart,
    onFinished: (shardId: string) => void,
  ) {
    this.shardId = start.shardId;
    const { parallelizationFactor, batchSize } = runtime.mapping;
    this.lanes = Array.from({ length: parallelizationFactor }, () => []);
    this.laneWakeups = Array.from({ length: parallelizationFactor }, () => new Wakeup());
    // Enough read ahead to fill every lane twice; more would only hold memory.
    this.maxBuffered = Math.max(batchSize * parallelizationFactor * 2, 1_000);
    this.done = Promise.all([this.readLoop(), ...this.lanes.map((_lane, index) => this.laneLoop(index))]).then(
      () => {
        if (this.ended && this.tracker.pending === 0) {
          this.stateValue = 'finished';
          onFinished(this.shardId);
        }
      },
      (error: unknown) => {
        // A bug, not a fault of the stream or function: say so loudly; its records stay un-checkpointed.
        runtime.log(
          `${this.shardId}: shard worker crashed, records past ${this.tracker.checkpoint ?? 'the start'} stay unprocessed: ${errorMessage(error)}`,
        );
      },
    );
  }

  get state(): ShardState {
    return this.stateValue;
  }

  get checkpoint(): string | undefined {
    return this.tracker.checkpoint;
  }

  get pendingRecords(): number {
    return this.tracker.pending;
  }

  get oldestPendingArrivalMs(): number | undefined {
    return this.tracker.oldestPendingArrivalMs;
  }

  /** True when every record written before `since` has been read and is done. */
  drainedSince(since: number): boolean {
    return this.stateValue === 'finished' || (this.caughtUpAt >= since && this.tracker.pending === 0);
  }

  /** Wakes sleeping loops so they notice stop(). */
  wake(): void {
    this.readerWakeup.notify();
    for (const wakeup of this.laneWakeups) wakeup.notify();
  }

  private async shardIterator(type: ShardIteratorType, sequenceNumber?: string): Promise<string | undefined> {
    const { runtime } = this;
    for (let attempt = 0; !runtime.isStopping(); attempt += 1) {
      try {
        const { ShardIterator } = await runtime.kinesis.send(
          new GetShardIteratorCommand({
            StreamName: runtime.streamName,
            ShardId: this.shardId,
            ShardIteratorType: type,
            ...(sequenceNumber ? { StartingSequenceNumber: sequenceNumber } : {}),
            ...(type === 'AT_TIMESTAMP' ? { Timestamp: this.start.timestamp } : {}),
          }),
        );
        return ShardIterator;
      } catch (error) {
        runtime.warn(
          `iterator-${this.shardId}`,
          `GetShardIterator ${this.shardId} failed (attempt ${attempt + 1}): ${errorMessage(error)}`,
        );
        await runtime.sleep(exponentialDelay(attempt, runtime.timing.pollIntervalMs, READ_RETRY_MAX_MS));
      }
    }
    return undefined;
  }

  /** Where to pick up again after an iterator expired: just past the last record read. */
  private resumeIterator(): Promise<string | undefined> {
    const after = this.lastReadSequence ?? this.start.after;
    return after ? this.shardIterator('AFTER_SEQUENCE_NUMBER', after) : this.shardIterator(this.start.position);
  }

  private async readLoop(): Promise<void> {
    const { runtime } = this;
    let iterator = this.start.after
      ? await this.shardIterator('AFTER_SEQUENCE_NUMBER', this.start.after)
      : await this.shardIterator(this.start.position);
    let lastCall = 0;
    let failures = 0;
    while (iterator && !runtime.isStopping()) {
      const room = this.maxBuffered - this.tracker.pending;
      if (room <= 0) {
        await this.readerWakeup.wait(runtime.timing.pollIntervalMs);
        continue;
      }
      const wait = lastCall + MIN_GET_RECORDS_INTERVAL_MS - Date.now();
      if (wait > 0) await runtime.sleep(wait);
      if (runtime.isStopping()) break;
      const startedAt = Date.now();
      lastCall = startedAt;
      runtime.counters.getRecordsCalls += 1;
      let page: GetRecordsCommandOutput;
      try {
        page = await runtime.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(MAX_RECORDS_PER_GET, room) }),
        );
        failures = 0;
      } catch (error) {
        runtime.counters.getRecordsErrors += 1;
        failures += 1;
        if ((error as { name?: string }).name === 'ExpiredIteratorException') {
          iterator = await this.resumeIterator();
          continue;
        }
        // Throttling or a broken connection: back off; the iterator stays valid for 5 minutes.
        runtime.warn(`get-${this.shardId}`, `GetRecords ${this.shardId} failed: ${errorMessage(error)}`);
        await runtime.sleep(exponentialDelay(failures - 1, runtime.timing.pollIntervalMs, READ_RETRY_MAX_MS));
        continue;
      }
      const records = (page.Records ?? []).map((record) => toStreamRecord(record, this.shardId, Date.now()));
      if (records.length > 0) {
        this.tracker.add(records);
        for (const record of records) {
          const lane = laneOf(record.partitionKey, this.lanes.length);
          (this.lanes[lane] as StreamRecord[]).push(record);
          (this.laneWakeups[lane] as Wakeup).notify();
        }
        this.lastReadSequence = (records[records.length - 1] as StreamRecord).sequenceNumber;
      }
      iterator = page.NextShardIterator;
      if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) this.caughtUpAt = startedAt;
      if (!iterator) break;
      if (records.length === 0) await runtime.sleep(runtime.timing.pollIntervalMs);
    }
    if (!iterator && !runtime.isStopping()) {
      // SHARD_END: the shard was split or merged; its children wait until its lanes are done.
      this.ended = true;
      this.stateValue = 'draining';
    }
    for (const wakeup of this.laneWakeups) wakeup.notify();
  }

  /** How many records from the head of a lane make the next batch (count and 6 MB payload). */
  private batchLength(queue: readonly StreamRecord[]): number {
    const { batchSize } = this.runtime.mapping;
    let bytes = 1_024;
    let count = 0;
    while (count < queue.length && count < batchSize) {
      const size = recordPayloadBytes(queue[count] as StreamRecord, this.runtime.eventSource);
      if (count > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
      bytes += size;
      count += 1;
    }
    return count;
  }

  private readerFinished(): boolean {
    return this.ended || this.runtime.isStopping();
  }

  private async laneLoop(index: number): Promise<void> {
    const { runtime } = this;
    const queue = this.lanes[index] as StreamRecord[];
    const wakeup = this.laneWakeups[index] as Wakeup;
    const windowMs = runtime.mapping.maximumBatchingWindowInSeconds * 1_000;
    while (!runtime.isStopping()) {
      if (queue.length === 0) {
        if (this.readerFinished()) break;
        await wakeup.wait(1_000);
        continue;
      }
      // Batching window: gather until the batch is full, the window (from the first record read)
      // has passed, or no more records can come.
      const closesAt = (queue[0] as StreamRecord).readAtMs + windowMs;
      while (
        windowMs > 0 &&
        !this.readerFinished() &&
        Date.now() < closesAt &&
        this.batchLength(queue) === queue.length &&
        queue.length < runtime.mapping.batchSize
      ) {
        await wakeup.wait(closesAt - Date.now());
      }
      if (runtime.isStopping()) break;
      const batch = queue.splice(0, this.batchLength(queue));
      const outcome = await runBatch(batch, {
        mapping: runtime.mapping,
        counters: runtime.counters,
        invoke: (records) => runtime.invoke(records),
        succeeded: (records) => {
          runtime.counters.recordsSucceeded += records.length;
          this.complete(records);
        },
        giveUp: async (failed) => {
          if (!(await runtime.dispose(failed))) return false;
          this.complete(failed.records);
          return true;
        },
        sleep: (ms) => runtime.sleep(ms),
        isStopping: () => runtime.isStopping(),
        retryDelayMs: (retry) =>
          exponentialDelay(retry, runtime.timing.retryBaseDelayMs, runtime.timing.retryMaxDelayMs),
        log: (line) => runtime.log(`${this.shardId}: ${line}`),
      });
      if (outcome === 'stopped') break;
    }
  }

  private complete(records: readonly StreamRecord[]): void {
    this.runtime.counters.recordsCheckpointed += this.tracker.complete(records);
    this.readerWakeup.notify();
  }
}
