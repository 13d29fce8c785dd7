/**
 * Our own dead-letter message: the poison records themselves (payload inline, base64 as Kinesis gave
 * it), so a replay does not depend on the stream still holding them. Written by the consumer and the
 * relay, read by the replay through `parseDlqMessage`. Versioned: a reader refuses versions it does
 * not know instead of guessing.
 */
import type { ShardRecord } from '../kinesis/shardRecord';

export const RECORD_MESSAGE_VERSION = 1;

/** SQS' default maximum message size; a queue may be configured up to 1 MiB (`DLQ_MAX_MESSAGE_BYTES`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/** Why records were dead-lettered. Producers may add their own reasons; these are the consumer's. */
export type PoisonReason = 'invalid-json' | 'invalid-event' | 'db-rejected' | (string & {});

/** A record with its data inline. */
export interface DlqRecordWithData {
  sequenceNumber: string;
  partitionKey: string;
  /** Epoch seconds, as in the Lambda Kinesis event. */
  approximateArrivalTimestamp: number;
  /** The record's data, base64, exactly as the stream had it. */
  data: string;
  /** This record's own error when it differs from the message's. */
  error?: string;
}

/**
 * A record too large to fit in any message even alone (Kinesis allows 1 MiB of data, which is ~1.33 MiB
 * as base64, above SQS' 1 MiB maximum). Its data is never truncated: the message names it instead, and
 * a replay re-reads it from the shard by sequence number (`AT_SEQUENCE_NUMBER`), exactly as it does for
 * Lambda's on-failure ranges, which also carry no data. Chosen over failing the batch because failing
 * would block the shard until the record expires and end in Lambda's on-failure record anyway, which
 * is the same re-read with the whole batch's range instead of one record.
 */
export interface DlqRecordOmitted {
  sequenceNumber: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  data?: undefined;
  /** Size of the record's base64 data that did not fit. */
  omittedDataBytes: number;
  error?: string;
}

export type DlqRecord = DlqRecordWithData | DlqRecordOmitted;

/** Everything in a record message except its records; shared by all the messages of one dead-lettering. */
export interface RecordMessageHeader {
  reason: PoisonReason;
  /** What went wrong, for the operator; per-record details are on the records. */
  error: string;
  /** The function that dead-lettered the records. */
  function: string;
  streamArn: string;
  shardId: string;
}

export interface RecordMessage extends RecordMessageHeader {
  version: typeof RECORD_MESSAGE_VERSION;
  kind: 'records';
  records: DlqRecord[];
}

/**
 * @example
 * const entry = dlqRecordFrom(record, 'Unexpected token } in JSON');
 */
export function dlqRecordFrom(record: ShardRecord, error?: string): DlqRecordWithData {
  return {
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64'),
    ...(error === undefined ? {} : { error }),
  };
}
