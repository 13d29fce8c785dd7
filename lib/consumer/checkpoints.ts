/**
 * The checkpoint rows for a set of records: per (stream, shard), the highest sequence number and its
 * arrival time. Sequence numbers are compared as BigInt: they are up to 128-bit decimal strings, and
 * neither numbers nor string order compare them correctly.
 */
import type { ShardCheckpoint } from '../db/writeEvents';
import type { ValidRecord } from './types';

/**
 * @example
 * await writeEvents(db, rows, checkpointsFor(valid));
 */
export function checkpointsFor(records: readonly ValidRecord[]): ShardCheckpoint[] {
  const highest = new Map<string, { checkpoint: ShardCheckpoint; sequence: bigint }>();
  for (const { record, row } of records) {
    const key = `${record.eventSourceARN}\n${row.shard_id}`;
    const sequence = BigInt(row.sequence_number);
    const current = highest.get(key);
    if (current && current.sequence >= sequence) continue;
    highest.set(key, {
      sequence,
      checkpoint: { stream_arn: record.eventSourceARN, shard_id: row.shard_id, sequence_number: row.sequence_number, arrival_time: row.arrival_time },
    });
  }
  return [...highest.values()].map((entry) => entry.checkpoint);
}
