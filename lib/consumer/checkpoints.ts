/**
 * The checkpoint rows for a set of records: per (stream, shard), the highest sequence number and its
 * arrival time. Sequence numbers are compared as BigInt: they are decimal strings of up to 129
 * digits, and neither numbers nor string order compare them correctly.
 *
 * A checkpoint says "everything up to here is stored or in the DLQ" (the fill after a re-created
 * trigger starts after it), so it never passes a poison record that is not yet in the DLQ: rows are
 * checkpointed only below the lowest such record (`below`), and the batch's full checkpoint is
 * written after its dead letters are sent.
 */
import type { ShardCheckpoint } from '../db/checkpoints';
import type { ShardRecord } from '../kinesis/shardRecord';

/** Per (stream, shard) key, the lowest sequence number that must not be passed yet. */
export type CheckpointCeiling = ReadonlyMap<string, bigint>;

const keyOf = (record: ShardRecord): string => `${record.streamArn}\n${record.shardId}`;

/**
 * The ceiling for records still to be dead-lettered: per shard, the lowest of their sequence numbers.
 *
 * @example
 * const ceiling = ceilingOf(poison.map((p) => p.record));
 */
export function ceilingOf(records: readonly ShardRecord[]): Map<string, bigint> {
  const ceiling = new Map<string, bigint>();
  for (const record of records) {
    const key = keyOf(record);
    const sequence = BigInt(record.sequenceNumber);
    const current = ceiling.get(key);
    if (current === undefined || sequence < current) ceiling.set(key, sequence);
  }
  return ceiling;
}

/**
 * @example
 * await writeEvents(db, rows, checkpointsFor(valid.map((v) => v.record), ceiling));
 */
export function checkpointsFor(
  records: readonly ShardRecord[],
  below: CheckpointCeiling = new Map(),
): ShardCheckpoint[] {
  const highest = new Map<string, { checkpoint: ShardCheckpoint; sequence: bigint }>();
  for (const record of records) {
    const key = keyOf(record);
    const sequence = BigInt(record.sequenceNumber);
    const ceiling = below.get(key);
    if (ceiling !== undefined && sequence >= ceiling) continue;
    const current = highest.get(key);
    if (current && current.sequence >= sequence) continue;
    highest.set(key, {
      sequence,
      checkpoint: {
        stream_arn: record.streamArn,
        shard_id: record.shardId,
        sequence_number: record.sequenceNumber,
        arrival_time: new Date(record.approximateArrivalTimestamp * 1000).toISOString(),
      },
    });
  }
  return [...highest.values()].map((entry) => entry.checkpoint);
}
