/**
 * `shard_checkpoints` (migrations/001): per (stream, shard), the highest sequence number up to which
 * every record is stored or in the DLQ. The consumer moves it forward with each batch; the gap fill
 * after a re-created trigger reads it to know where to start.
 */
import type { Queryable } from './queryable';
import { writeEvents } from './writeEvents';

/** The highest sequence number among the rows of one shard, and its arrival time. */
export interface ShardCheckpoint {
  stream_arn: string;
  shard_id: string;
  sequence_number: string;
  arrival_time: string;
}

/** A checkpoint as stored. */
export interface StoredCheckpoint {
  shard_id: string;
  sequence_number: string;
  arrival_time: Date;
}

const READ_CHECKPOINTS_SQL = `SELECT shard_id, sequence_number::text AS sequence_number, arrival_time
  FROM shard_checkpoints WHERE stream_arn = $1`;

/**
 * Moves checkpoints forward (never back) on their own: after a batch's dead letters are sent, the
 * records past its first poison record are done too.
 *
 * @example
 * await advanceCheckpoints(db, checkpointsFor(handledRecords));
 */
export async function advanceCheckpoints(db: Queryable, checkpoints: readonly ShardCheckpoint[]): Promise<void> {
  if (checkpoints.length === 0) return;
  // The consumer's one statement with no rows: one copy of the checkpoint SQL, one round trip.
  await writeEvents(db, [], checkpoints);
}

/**
 * Every shard's checkpoint for a stream, by shard id.
 *
 * @example
 * const checkpoints = await readCheckpoints(db, streamArn);
 * checkpoints.get('shardId-000000000000')?.sequence_number;
 */
export async function readCheckpoints(db: Queryable, streamArn: string): Promise<Map<string, StoredCheckpoint>> {
  const { rows } = await db.query<StoredCheckpoint>(READ_CHECKPOINTS_SQL, [streamArn], { idempotent: true });
  return new Map(rows.map((row) => [row.shard_id, row]));
}
