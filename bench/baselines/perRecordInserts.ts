/**
 * The consumer's baseline: the usual record-at-a-time batch processor. Same decode and validation as
 * the consumer, then one INSERT per record and the checkpoint, in one transaction (so it is at least
 * as safe as ours, and as fast as per-record inserts get: no commit per row).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { Client } from 'pg';
import { decodeRecords } from '../../lib/consumer/decodeRecords';
import { fromLambdaRecord } from '../../lib/kinesis/shardRecord';

const INSERT_ONE = `INSERT INTO telemetry_events
  (tenant, event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant, event_id, event_time) DO NOTHING`;

const CHECKPOINT = `INSERT INTO shard_checkpoints AS c (stream_arn, shard_id, sequence_number, arrival_time) VALUES ($1, $2, $3, $4)
  ON CONFLICT (stream_arn, shard_id) DO UPDATE SET sequence_number = EXCLUDED.sequence_number, arrival_time = EXCLUDED.arrival_time
  WHERE EXCLUDED.sequence_number > c.sequence_number`;

/**
 * Writes a batch row by row; returns the rows inserted.
 *
 * @example
 * const written = await perRecordInserts(client, event.Records);
 */
export async function perRecordInserts(client: Client, records: readonly KinesisStreamRecord[]): Promise<number> {
  const { valid } = decodeRecords(records.map(fromLambdaRecord));
  let written = 0;
  await client.query('BEGIN');
  try {
    for (const { row } of valid) {
      const result = await client.query(INSERT_ONE, [
        row.tenant,
        row.event_id,
        row.source,
        row.type,
        row.event_time,
        row.duration_ms,
        JSON.stringify(row.payload),
        row.shard_id,
        row.sequence_number,
        row.arrival_time,
        row.received_at,
      ]);
      written += result.rowCount ?? 0;
    }
    const last = valid.at(-1)?.row;
    const streamArn = records[0]?.eventSourceARN;
    if (last && streamArn)
      await client.query(CHECKPOINT, [streamArn, last.shard_id, last.sequence_number, last.arrival_time]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return written;
}
