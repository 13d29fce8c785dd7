/**
 * The one way the pipeline reads a shard (the replay's range re-reads, the gap fill): paged
 * GetRecords within the shard's read budget, throttling waited out, an expired iterator renewed
 * after the last record read, every call within the caller's deadline.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { isRetryableAwsError } from '../retry/awsErrors';
import { KINESIS_RETRY, retryDelay, sleep, withRetry, type RetryPolicy } from '../retry/policy';
import type { StreamRef } from './putRecords';

/** Kinesis allows 5 GetRecords calls per second per shard, shared by every reader (the live consumers too). */
export const MIN_GET_RECORDS_INTERVAL_MS = 200;
/** The most records one GetRecords call returns. */
export const MAX_GET_RECORDS_LIMIT = 10_000;

export type ShardStart =
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_TIMESTAMP'; timestamp: Date }
  | { type: 'TRIM_HORIZON' };

export interface ShardPage {
  records: _Record[];
  /** An empty page with MillisBehindLatest 0: the reader is at the tip of the shard. */
  atTip: boolean;
}

export function streamParams(stream: StreamRef): { StreamName: string } | { StreamARN: string } {
  return 'streamName' in stream ? { StreamName: stream.streamName } : { StreamARN: stream.streamArn };
}

/**
 * Every shard of a stream, open and closed, across ListShards pages.
 *
 * @example
 * const shards = await listShards(kinesis, { streamName: 'telemetry' }, Date.now() + 10_000);
 */
export async function listShards(kinesis: KinesisClient, stream: StreamRef, deadline: number): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1_000; page += 1) {
    const input = token ? { NextToken: token } : streamParams(stream);
    const response = await withRetry(() => kinesis.send(new ListShardsCommand(input)), {
      policy: KINESIS_RETRY,
      deadline,
      isRetryable: isRetryableAwsError,
    });
    shards.push(...(response.Shards ?? []));
    token = response.NextToken;
    if (!token) break;
  }
  return shards;
}

export interface ShardReaderOptions {
  stream: StreamRef;
  shardId: string;
  start: ShardStart;
  /** Epoch ms: no call starts after it; `next()` then answers undefined with `stoppedByDeadline`. */
  deadline: number;
  retry?: RetryPolicy;
}

/**
 * Reads one shard page by page. Errors that retrying cannot fix (no such stream, access denied, an
 * AT_SEQUENCE_NUMBER past retention) are thrown to the caller; nothing else is.
 *
 * @example
 * const reader = new ShardReader(kinesis, { stream, shardId, start: { type: 'TRIM_HORIZON' }, deadline });
 * for (let page = await reader.next(); page; page = await reader.next()) handle(page.records);
 */
export class ShardReader {
  private iterator: string | undefined;
  private started = false;
  private lastCall = 0;
  private lastSequence: string | undefined;
  /** True once `next()` stopped because the deadline passed (the shard was not read to its end). */
  stoppedByDeadline = false;
  /** GetRecords calls made. */
  calls = 0;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly options: ShardReaderOptions,
  ) {
    this.policy = options.retry ?? KINESIS_RETRY;
  }

  /**
   * The next page, or undefined when the shard is closed and read to its end, or the deadline passed.
   *
   * @param limit records to ask for (at most 10,000): a small first page keeps a re-read of a few
   *   records near the head of a busy shard from dragging thousands past it.
   * @throws what GetShardIterator or GetRecords throw that retrying cannot fix.
   */
  async next(limit: number = MAX_GET_RECORDS_LIMIT): Promise<ShardPage | undefined> {
    const { policy } = this;
    if (!this.started) {
      this.started = true;
      this.iterator = await this.iteratorAt(this.options.start);
    }
    for (let throttled = 0; this.iterator; ) {
      if (Date.now() >= this.options.deadline) {
        this.stoppedByDeadline = true;
        return undefined;
      }
      await sleep(
        Math.min(this.lastCall + MIN_GET_RECORDS_INTERVAL_MS - Date.now(), this.options.deadline - Date.now()),
      );
      this.lastCall = Date.now();
      this.calls += 1;
      try {
        const page = await this.kinesis.send(
          new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.min(limit, MAX_GET_RECORDS_LIMIT) }),
        );
        const records = page.Records ?? [];
        this.iterator = page.NextShardIterator;
        this.lastSequence = records.at(-1)?.SequenceNumber ?? this.lastSequence;
        return { records, atTip: records.length === 0 && (page.MillisBehindLatest ?? 0) === 0 };
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          // Iterators live 5 minutes; a slow, paced read can outlive one. Resume after the last record read.
          this.iterator = await this.iteratorAt(
            this.lastSequence
              ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastSequence }
              : this.options.start,
          );
          continue;
        }
        // Throttling above all: the shard's read budget is shared with the live mappings. Wait, read again.
        if (!isRetryableAwsError(error)) throw error;
        throttled += 1;
        if (throttled >= policy.maxAttempts) throw error;
        await sleep(Math.min(retryDelay(policy, throttled), this.options.deadline - Date.now()));
      }
    }
    return undefined;
  }

  private async iteratorAt(start: ShardStart): Promise<string | undefined> {
    const input: GetShardIteratorCommandInput = {
      ...streamParams(this.options.stream),
      ShardId: this.options.shardId,
      ShardIteratorType: start.type,
      ...('sequenceNumber' in start ? { StartingSequenceNumber: start.sequenceNumber } : {}),
      ...('timestamp' in start ? { Timestamp: start.timestamp } : {}),
    };
    const { ShardIterator } = await withRetry(() => this.kinesis.send(new GetShardIteratorCommand(input)), {
      policy: this.policy,
      deadline: this.options.deadline,
      isRetryable: isRetryableAwsError,
    });
    return ShardIterator;
  }
}
