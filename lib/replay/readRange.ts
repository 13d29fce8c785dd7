/**
 * Re-reads one shard's records from `start` to `end` inclusive, as named in Lambda's on-failure
 * record, before the stream's retention drops them, and says when it already has.
 */
import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import type { StreamRef } from '../kinesis/putRecords';
import { MAX_GET_RECORDS_LIMIT, ShardReader, type ShardPage, type ShardStart } from '../kinesis/shardReader';

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

function isTrimmedError(error: unknown): boolean {
  // AWS answers AT_SEQUENCE_NUMBER for a record past retention with InvalidArgumentException.
  const name = (error as { name?: string }).name;
  return name === 'InvalidArgumentException' || name === 'ResourceNotFoundException';
}

/**
 * @param request the range, both ends inclusive, compared as BigInt.
 * @returns the records of the range still on the shard, in order; `trimmed` when its head is gone
 *   (the rest is still returned), `incomplete` when the deadline cut the read short.
 * @throws what the reader cannot retry (no such stream, access denied); throttling and expired
 *   iterators are waited out within the deadline.
 * @example
 * const { records, trimmed } = await readRange(kinesis, { stream: { streamName }, shardId, startSequenceNumber, endSequenceNumber, deadline });
 */
export async function readRange(kinesis: KinesisClient, request: RangeRequest): Promise<RangeResult> {
  const start = BigInt(request.startSequenceNumber);
  const end = BigInt(request.endSequenceNumber);
  const records: _Record[] = [];
  const reader = (from: ShardStart): ShardReader =>
    new ShardReader(kinesis, {
      stream: request.stream,
      shardId: request.shardId,
      start: from,
      deadline: request.deadline,
    });

  // The first page asks for what the range should hold (+1 to see past its end); later pages, if the
  // range holds more (other lanes' records with parallelizationFactor > 1), the maximum.
  const firstLimit = request.expectedRecords
    ? Math.min(MAX_GET_RECORDS_LIMIT, Math.max(1, request.expectedRecords) + 1)
    : MAX_GET_RECORDS_LIMIT;
  let shard = reader({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: request.startSequenceNumber });
  let page: ShardPage | undefined;
  try {
    page = await shard.next(firstLimit);
  } catch (error) {
    if (!isTrimmedError(error)) throw error;
    // The start is gone: read what is left of the range from the oldest record the shard keeps.
    shard = reader({ type: 'TRIM_HORIZON' });
    try {
      page = await shard.next(firstLimit);
    } catch (again) {
      if (isTrimmedError(again)) return { records, trimmed: true, incomplete: false, getRecordsCalls: shard.calls };
      throw again;
    }
  }
  // Bounded: each page reads on towards the range's end, or the shard's tip, or the deadline.
  for (let pages = 0; page && pages < 100_000; pages += 1) {
    let pastEnd = false;
    for (const record of page.records) {
      const sequence = BigInt(record.SequenceNumber ?? '0');
      if (sequence > end) {
        pastEnd = true;
        break;
      }
      if (sequence >= start) records.push(record);
    }
    // An empty page at the tip of the shard: the range ends before it.
    if (pastEnd || page.atTip) break;
    page = await shard.next();
  }
  if (shard.stoppedByDeadline) return { records, trimmed: false, incomplete: true, getRecordsCalls: shard.calls };
  const first = records[0]?.SequenceNumber;
  const trimmed = first === undefined || BigInt(first) > start;
  return { records, trimmed, incomplete: false, getRecordsCalls: shard.calls };
}
