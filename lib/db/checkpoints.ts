/**
 * `shard_checkpoints` (migrations/001): per (stream, shard), the highest sequence number up to which
 * every record is stored or in the DLQ. The consumer moves it forward with each batch; the gap fill
 * after a re-created trigger reads it to know where to start.
 */
import type { Queryable } from './queryable';

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

/**
 * The upsert of checkpoints passed as a JSON array in parameter `param`. It only moves forward (the
 * WHERE on DO UPDATE): a retried or concurrent older batch (parallelizationFactor > 1) cannot move a
 * shard's checkpoint back. Used alone and inside the consumer's write statement.
 */
export function upsertCheckpointsSql(param: '$1' | '$2'): string {
  return `INSERT INTO shard_checkpoints AS c (stream_arn, shard_id, sequence_number, arrival_time)
  SELECT stream_arn, shard_id, sequence_number, arrival_time
  FROM jsonb_to_recordset(${param}::jsonb) AS p(stream_arn text, shard_id text, sequence_number numeric, arrival_time timestamptz)
  ON CONFLICT (stream_arn, shard_id) DO UPDATE
    SET sequence_number = EXCLUDED.sequence_number, arrival_time = EXCLUDED.arrival_time, updated_at = now()
    WHERE EXCLUDED.sequence_number > c.sequence_number`;
}

const ADVANCE_CHECKPOINTS_SQL = upsertCheckpointsSql('$1');

const READ_CHECKPOINTS_SQL =
  'SELECT shard_id, sequence_number::text AS sequence_number, arrival_time FROM shard_checkpoints WHERE stream_arn = $1';

/**
 * Moves checkpoints forward (never back) on their own: after a batch's dead letters are sent, the
 * records past its first poison record are done too.
 *
 * @example
 * await advanceCheckpoints(db, checkpointsFor(handledRecords));
 */
export async function advanceCheckpoints(db: Queryable, checkpoints: readonly ShardCheckpoint[]): Promise<void> {
  if (checkpoints.length === 0) return;
  await db.query(ADVANCE_CHECKPOINTS_SQL, [JSON.stringify(checkpoints)], { idempotent: true });
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
