/**
 * The event Lambda hands a Kinesis-triggered function, built field for field as Lambda builds it,
 * so a handler sees locally exactly what it sees in AWS.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { StreamRecord } from './streamRecord';

export interface EventSource {
  streamArn: string;
  region: string;
  /** The function's execution role. */
  invokeIdentityArn: string;
}

/** Lambda's synchronous invocation payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * @example
 * const event = buildKinesisEvent(batch, { streamArn, region: 'us-east-1', invokeIdentityArn: roleArn });
 */
export function buildKinesisEvent(records: readonly StreamRecord[], source: EventSource): KinesisStreamEvent {
  return {
    Records: records.map(
      (record): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
          data: Buffer.from(record.data).toString('base64'),
          approximateArrivalTimestamp: record.arrivalMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${record.shardId}:${record.sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: source.invokeIdentityArn,
        awsRegion: source.region,
        eventSourceARN: source.streamArn,
      }),
    ),
  };
}

/**
 * Upper bound of one record's share of the event JSON, so a batch can stop short of the 6 MB
 * payload limit without serialising it first.
 *
 * @example
 * const bytes = recordPayloadBytes(record, source);
 */
export function recordPayloadBytes(record: StreamRecord, source: EventSource): number {
  const base64 = Math.ceil(record.data.byteLength / 3) * 4;
  const fixed = 320; // key names, quotes and constant values of one record
  return (
    base64 +
    fixed +
    Buffer.byteLength(record.partitionKey, 'utf8') * 6 + // worst case: every character JSON-escaped
    record.sequenceNumber.length * 2 +
    record.shardId.length +
    source.invokeIdentityArn.length +
    source.region.length +
    source.streamArn.length
  );
}
