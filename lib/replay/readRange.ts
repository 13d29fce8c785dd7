/**
 * Re-reads one shard's records from `start` to `end` inclusive, as named in Lambda's on-failure
 * record, before the stream's retention drops them, and says when it already has.
 */
import {
  ExpiredIteratorException,
  ProvisionedThroughputExceededException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { backoffDelay, sleep } from '../kinesis/backoff';
import type { StreamRef } from '../kinesis/putRecords';

/** Kinesis allows 5 GetRecords calls per second per shard, shared by every reader (the live consumers too). */
export const MIN_GET_RECORDS_INTERVAL_MS = 200;

export interface RangeRequest {
  stream: StreamRef;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** Stop after this long, reporting what was read (a Lambda's deadline). */
  deadline: number;
  /**
   * How many records the range is expected to hold (an on-failure record's batchSize; 1 for one
   * record). The first GetRecords asks for one more than that instead of 10,000, so re-reading a
   * small range near the head of a busy shard does not drag thousands of records past it.
   */
  expectedRecords?: number;
}

export interface RangeResult {
  records: _Record[];
  /**
   * True when the first record still on the shard is past `startSequenceNumber`: the head of the
   * range is gone (trimmed by retention, or a stream re-created under the same name).
   */
  trimmed: boolean;
  /** True when the deadline cut the read short (records holds what was read). */
  incomplete: boolean;
  getRecordsCalls: number;
}

function iteratorFor(request: RangeRequest, type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER', sequenceNumber: string): GetShardIteratorCommand {
  return new GetShardIteratorCommand({
    ...('streamName' in request.stream ? { StreamName: request.stream.streamName } : { StreamARN: request.stream.streamArn }),
    ShardId: request.shardId,
    ShardIteratorType: type,
    StartingSequenceNumber: sequenceNumber,
  });
}

function isTrimmedError(error: unknown): boolean {
  // AWS answers AT_SEQUENCE_NUMBER for a record past retention with InvalidArgumentException.
  const name = (error as { name?: string }).name;
  return name === 'InvalidArgumentException' || name === 'ResourceNotFoundException';
}

/**
 * @example
 * const { records, trimmed } = await readRange(kinesis, { stream: { streamName }, shardId, startSequenceNumber, endSequenceNumber, deadline });
 */
export async function readRange(kinesis: KinesisClient, request: RangeRequest): Promise<RangeResult> {
  const start = BigInt(request.startSequenceNumber);
  const end = BigInt(request.endSequenceNumber);
  const records: _Record[] = [];
  let calls = 0;
  let iterator: string | undefined;
  try {
    ({ ShardIterator: iterator } = await kinesis.send(iteratorFor(request, 'AT_SEQUENCE_NUMBER', request.startSequenceNumber)));
  } catch (error) {
    if (!isTrimmedError(error)) throw error;
    // The start is gone: read what is left of the range from the oldest record the shard keeps.
    try {
      ({ ShardIterator: iterator } = await kinesis.send(
        new GetShardIteratorCommand({
          ...('streamName' in request.stream ? { StreamName: request.stream.streamName } : { StreamARN: request.stream.streamArn }),
          ShardId: request.shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      ));
    } catch (again) {
      if (isTrimmedError(again)) return { records, trimmed: true, incomplete: false, getRecordsCalls: 0 };
      throw again;
    }
  }

  let lastCall = 0;
  let done = false;
  let throttled = 0;
  // The first page asks for what the range should hold (+1 to see past its end); later pages, if the
  // range holds more (other lanes' records with parallelizationFactor > 1), the maximum.
  let limit = request.expectedRecords ? Math.min(10_000, Math.max(1, request.expectedRecords) + 1) : 10_000;
  // Bounded: each pass reads at least one record or ends (empty page at the tip, or the shard closed).
  for (let passes = 0; iterator && !done && passes < 100_000; passes += 1) {
    if (Date.now() >= request.deadline) return { records, trimmed: false, incomplete: true, getRecordsCalls: calls };
    const wait = lastCall + MIN_GET_RECORDS_INTERVAL_MS - Date.now();
    if (wait > 0) await sleep(wait);
    lastCall = Date.now();
    calls += 1;
    try {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      limit = 10_000;
      const pageRecords = page.Records ?? [];
      for (const record of pageRecords) {
        const sequence = BigInt(record.SequenceNumber ?? '0');
        if (sequence > end) {
          done = true;
          break;
        }
        if (sequence >= start) records.push(record);
      }
      // An empty page with MillisBehindLatest 0 is the tip of the shard: the range ends before it.
      if (pageRecords.length === 0 && (page.MillisBehindLatest ?? 0) === 0) done = true;
      iterator = page.NextShardIterator;
    } catch (error) {
      if (error instanceof ProvisionedThroughputExceededException) {
        // The shard's 5 reads/s are shared with the live mappings: wait and read again, within the deadline.
        throttled += 1;
        await sleep(Math.min(backoffDelay(throttled, { baseDelayMs: 200, maxDelayMs: 5_000 }) + MIN_GET_RECORDS_INTERVAL_MS, Math.max(0, request.deadline - Date.now())));
        continue;
      }
      if (!(error instanceof ExpiredIteratorException)) throw error;
      // Iterators live 5 minutes; a slow, rate-limited read can outlive one. Resume after the last record read.
      const last = records.at(-1)?.SequenceNumber;
      ({ ShardIterator: iterator } = await kinesis.send(
        last ? iteratorFor(request, 'AFTER_SEQUENCE_NUMBER', last) : iteratorFor(request, 'AT_SEQUENCE_NUMBER', request.startSequenceNumber),
      ));
    }
  }
  const first = records[0]?.SequenceNumber;
  const trimmed = first === undefined || BigInt(first) > start;
  return { records, trimmed, incomplete: false, getRecordsCalls: calls };
}
