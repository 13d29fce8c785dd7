/**
 * The write path with calls side by side: records split into lanes by partition key, each lane one
 * ordered `putRecords` (one call at a time, retries in order, lib/kinesis/putRecords.ts), the lanes
 * run together under one call gate (lib/kinesis/adaptiveLimit.ts).
 *
 * Why order per partition key holds: every record of a key is in one lane, in the caller's order,
 * and a lane has at most one call in flight and resends from its oldest unput record forward. So
 * no two calls in flight ever carry records of the same key, and a key's records reach its shard
 * as they would one call at a time, retries of failed entries included.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { AdaptiveLimit } from './adaptiveLimit';
import { MAX_BYTES_PER_PUT, MAX_RECORDS_PER_PUT } from './limits';
import { putRecords, type KinesisRecord, type PutRecordsOptions, type PutRecordsResult } from './putRecords';

/** Calls in flight per writer unless configured (`PUT_CONCURRENCY`): 8 x 500 records in one round trip. */
export const DEFAULT_PUT_CONCURRENCY = 8;

export interface ConcurrentPutOptions extends PutRecordsOptions {
  /** Most calls in flight (and lanes). 1: the one-call-at-a-time path. */
  concurrency: number;
  /**
   * The gate the lanes share; pass one kept across batches (a container's, a replay run's) so what
   * it learned about the stream's capacity carries over. Default: a fresh AdaptiveLimit(concurrency).
   */
  limit?: AdaptiveLimit;
}

/**
 * Lanes of input indexes: each key's records in one lane in input order, keys given to the lane
 * with the fewest bytes so far, the biggest keys first (a hot key gets a lane of its own sooner).
 */
export function laneIndexes(records: readonly KinesisRecord[], lanes: number): number[][] {
  const byKey = new Map<string, { indexes: number[]; bytes: number }>();
  records.forEach((record, index) => {
    const key = byKey.get(record.partitionKey) ?? { indexes: [], bytes: 0 };
    key.indexes.push(index);
    key.bytes += record.data.byteLength;
    byKey.set(record.partitionKey, key);
  });
  const count = Math.max(1, Math.min(lanes, byKey.size));
  const out = Array.from({ length: count }, () => ({ indexes: [] as number[], bytes: 0 }));
  for (const key of [...byKey.values()].sort((a, b) => b.bytes - a.bytes)) {
    const lane = out.reduce((least, candidate) => (candidate.bytes < least.bytes ? candidate : least));
    lane.indexes.push(...key.indexes);
    lane.bytes += key.bytes + 1;
  }
  return out.map((lane) => lane.indexes.sort((a, b) => a - b)).filter((lane) => lane.length > 0);
}

/**
 * Same contract as `putRecords` (every record put or in `failed`, by input index), with up to
 * `concurrency` calls in flight, fewer while the stream throttles.
 *
 * @example
 * const result = await putRecordsConcurrently(kinesis, records, { stream, deadline, concurrency: 8, limit });
 */
export async function putRecordsConcurrently(
  kinesis: KinesisClient,
  records: readonly KinesisRecord[],
  options: ConcurrentPutOptions,
): Promise<PutRecordsResult> {
  const { concurrency, limit, ...single } = options;
  if (concurrency <= 1 && limit === undefined) return putRecords(kinesis, records, single);
  const gate = limit ?? new AdaptiveLimit(Math.max(1, concurrency));
  // As many lanes as the records need calls, at most `concurrency`: what fits one call stays one
  // call (splitting it would only multiply requests), a bigger batch goes out side by side.
  const bytes = records.reduce((sum, record) => sum + record.data.byteLength + record.partitionKey.length, 0);
  const calls = Math.max(Math.ceil(records.length / MAX_RECORDS_PER_PUT), Math.ceil(bytes / MAX_BYTES_PER_PUT), 1);
  const lanes = laneIndexes(records, Math.min(Math.max(1, concurrency), calls));
  const results = await Promise.all(
    lanes.map((lane) =>
      putRecords(
        kinesis,
        lane.map((index) => records[index] as KinesisRecord),
        { ...single, gate },
      ),
    ),
  );
  const merged: PutRecordsResult = {
    put: 0,
    failed: [],
    calls: 0,
    retriedEntries: 0,
    placements: new Array(records.length).fill(undefined),
  };
  results.forEach((result, laneIndex) => {
    const lane = lanes[laneIndex] as number[];
    merged.put += result.put;
    merged.calls += result.calls;
    merged.retriedEntries += result.retriedEntries;
    for (const failure of result.failed) merged.failed.push({ ...failure, index: lane[failure.index] as number });
    result.placements.forEach((placement, position) => {
      merged.placements[lane[position] as number] = placement;
    });
  });
  merged.failed.sort((a, b) => a.index - b.index);
  return merged;
}
