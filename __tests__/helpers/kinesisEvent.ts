/** Builds the Kinesis event Lambda would deliver, from records read back from kinesalite. */
import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export function streamArnOf(streamName: string, region = 'us-east-1', account = '000000000000'): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${streamName}`;
}

export function toLambdaRecord(record: _Record & { shardId: string }, streamArn: string, region = 'us-east-1'): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? []).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
    awsRegion: region,
    eventSourceARN: streamArn,
  };
}

export function toKinesisEvent(records: (_Record & { shardId: string })[], streamArn: string): KinesisStreamEvent {
  return { Records: records.map((record) => toLambdaRecord(record, streamArn)) };
}
