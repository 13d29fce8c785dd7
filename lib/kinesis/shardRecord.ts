/**
 * One record of one shard, as the pipeline works with it however it was read: delivered in a
 * Lambda Kinesis event (consumer, relay) or fetched with GetRecords (the gap fill). Keeping the
 * work in terms of this type means the fill runs the consumer's code on records it read itself,
 * without dressing them up as a Lambda event.
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';

export interface ShardRecord {
  /** The stream's ARN: what checkpoints are keyed by. */
  streamArn: string;
  shardId: string;
  /** Decimal string of up to 129 digits (56 in practice): compare as BigInt, never as numbers. */
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  /** Kinesis' ApproximateArrivalTimestamp in epoch seconds, as a Lambda event carries it. */
  approximateArrivalTimestamp: number;
}

/**
 * A record of a Lambda Kinesis event. Its `eventID` is `<shardId>:<sequenceNumber>`.
 *
 * @example
 * const records = event.Records.map(fromLambdaRecord);
 */
export function fromLambdaRecord(record: KinesisStreamRecord): ShardRecord {
  const colon = record.eventID.lastIndexOf(':');
  return {
    streamArn: record.eventSourceARN,
    shardId: colon > 0 ? record.eventID.slice(0, colon) : record.eventID,
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: Buffer.from(record.kinesis.data, 'base64'),
    approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
  };
}

/**
 * A record returned by GetRecords from `shardId` of `streamArn`.
 *
 * @example
 * const records = (page.Records ?? []).map((r) => fromGetRecords(r, { streamArn, shardId }));
 */
export function fromGetRecords(record: _Record, from: { streamArn: string; shardId: string }): ShardRecord {
  return {
    streamArn: from.streamArn,
    shardId: from.shardId,
    sequenceNumber: record.SequenceNumber ?? '',
    partitionKey: record.PartitionKey ?? '',
    data: record.Data ?? new Uint8Array(),
    approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
  };
}

/**
 * Sequence order within a shard.
 *
 * @example
 * records.sort(bySequence);
 */
export function bySequence(a: { sequenceNumber: string }, b: { sequenceNumber: string }): number {
  const x = BigInt(a.sequenceNumber);
  const y = BigInt(b.sequenceNumber);
  return x < y ? -1 : x > y ? 1 : 0;
}
