/**
 * Builds the Kinesis event Lambda would deliver, from records read back from kinesalite (or made up
 * by a test), through the emulator's one Lambda Kinesis record factory (`toStreamRecord`,
 * `buildKinesisEvent`): tests, benchmarks and the emulator all hand handlers the same event.
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { buildKinesisEvent, toStreamRecord } from '../../emulator/src';
import { fromLambdaRecord, type ShardRecord } from '../../lib/kinesis/shardRecord';

/** A record as GetRecords returns it, with the shard it was read from. */
export type ShardedRecord = _Record & { shardId: string };

export interface EventOptions {
  /** Default us-east-1. */
  region?: string;
  /** The function's execution role, as the event names it. Default `arn:aws:iam::000000000000:role/local`. */
  invokeIdentityArn?: string;
}

export const DEFAULT_INVOKE_IDENTITY_ARN = 'arn:aws:iam::000000000000:role/local';

export function streamArnOf(streamName: string, region = 'us-east-1', account = '000000000000'): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${streamName}`;
}

/**
 * A record a test makes up rather than reads back (a sequence number of its choosing).
 *
 * @example
 * const record = shardedRecord({ shardId: 'shardId-000000000000', sequenceNumber: '1', partitionKey: 'a', data, arrival: new Date() });
 */
export function shardedRecord(record: {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  arrival?: Date;
}): ShardedRecord {
  return {
    shardId: record.shardId,
    SequenceNumber: record.sequenceNumber,
    PartitionKey: record.partitionKey,
    Data: record.data,
    ApproximateArrivalTimestamp: record.arrival ?? new Date(),
  };
}

export function toKinesisEvent(
  records: readonly ShardedRecord[],
  streamArn: string,
  options: EventOptions = {},
): KinesisStreamEvent {
  const readAt = Date.now();
  return buildKinesisEvent(
    records.map((record) => toStreamRecord(record, record.shardId, readAt)),
    {
      streamArn,
      region: options.region ?? 'us-east-1',
      invokeIdentityArn: options.invokeIdentityArn ?? DEFAULT_INVOKE_IDENTITY_ARN,
    },
  );
}

export function toLambdaRecord(
  record: ShardedRecord,
  streamArn: string,
  options: EventOptions = {},
): KinesisStreamRecord {
  return toKinesisEvent([record], streamArn, options).Records[0] as KinesisStreamRecord;
}

/** The records as the consumer and the relay take them: the Lambda event's records, as `fromLambdaRecord` reads them. */
export function toShardRecords(
  records: readonly ShardedRecord[],
  streamArn: string,
  options: EventOptions = {},
): ShardRecord[] {
  return toKinesisEvent(records, streamArn, options).Records.map(fromLambdaRecord);
}
