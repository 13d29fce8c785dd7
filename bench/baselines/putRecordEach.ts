/**
 * The write-path baseline for ingest, relay and replay: one PutRecord call per record, in order,
 * waiting for each (what a record-at-a-time producer does, and the only way it keeps per-key order).
 */
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisRecord } from '../../lib/kinesis/putRecords';

/**
 * Puts each record with its own call; returns how many went in.
 *
 * @example
 * const put = await putRecordEach(kinesis, 'telemetry', records);
 */
export async function putRecordEach(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly KinesisRecord[],
): Promise<number> {
  let put = 0;
  for (const record of records) {
    const result = await kinesis.send(
      new PutRecordCommand({ StreamName: streamName, Data: record.data, PartitionKey: record.partitionKey }),
    );
    if (!result.SequenceNumber) throw new Error('PutRecord returned no sequence number');
    put += 1;
  }
  return put;
}
