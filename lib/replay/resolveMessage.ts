/**
 * Turns one dead-letter message into the records to put back: inline for our record messages, re-read
 * from the shard for Lambda's on-failure records (and for inline records too large to have fitted).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DlqMessage } from '../dlq/parseDlqMessage';
import type { KinesisRecord } from '../kinesis/putRecords';
import type { StreamResolver } from '../kinesis/streamRef';
import { readRange } from './readRange';

export interface ResolvedMessage {
  kind: DlqMessage['kind'];
  /** Our message's reason, or Lambda's condition (e.g. `RetryAttemptsExhausted`). */
  reason: string;
  streamArn: string;
  shardId: string;
  /** Arrival time of the oldest record, epoch ms (for time filters). */
  firstArrival: number;
  records: KinesisRecord[];
  /** Some records are no longer on the stream (retention or a re-created stream). */
  expired: boolean;
  /** How many records the message names that could not be found. */
  lostToRetention: number;
  /** The deadline cut a re-read short: resolve it again in a later run. */
  incomplete: boolean;
}

export interface ResolveDeps {
  /** The Kinesis client for a stream's region. */
  kinesisFor: (region: string) => KinesisClient;
  resolveStream: StreamResolver;
  deadline: number;
}

/**
 * @example
 * const resolved = await resolveMessage(parseDlqMessage(body), { kinesisFor, resolveStream, deadline });
 */
export async function resolveMessage(parsed: DlqMessage, deps: ResolveDeps): Promise<ResolvedMessage> {
  if (parsed.kind === 'lambda-failure') {
    const info = parsed.message.KinesisBatchInfo;
    const stream = deps.resolveStream(info.streamArn);
    const range = await readRange(deps.kinesisFor(stream.clientRegion), {
      stream: stream.ref,
      shardId: info.shardId,
      startSequenceNumber: info.startSequenceNumber,
      endSequenceNumber: info.endSequenceNumber,
      deadline: deps.deadline,
      expectedRecords: info.batchSize,
    });
    // With parallelizationFactor > 1 the range also holds other partition keys' records, so finding
    // more than batchSize is normal; finding fewer means records are gone.
    const lost = Math.max(0, info.batchSize - range.records.length);
    return {
      kind: parsed.kind,
      reason: parsed.message.requestContext.condition,
      streamArn: info.streamArn,
      shardId: info.shardId,
      firstArrival: Date.parse(info.approximateArrivalOfFirstRecord),
      records: range.records.map((r) => ({ data: r.Data ?? new Uint8Array(), partitionKey: r.PartitionKey ?? '' })),
      expired: range.trimmed || lost > 0,
      lostToRetention: range.trimmed ? Math.max(lost, 1) : lost,
      incomplete: range.incomplete,
    };
  }

  const message = parsed.message;
  const stream = deps.resolveStream(message.streamArn);
  const records: KinesisRecord[] = [];
  let lost = 0;
  let incomplete = false;
  for (const record of message.records) {
    if (record.data !== undefined) {
      records.push({ data: Buffer.from(record.data, 'base64'), partitionKey: record.partitionKey });
      continue;
    }
    // Too large to have fitted in a message: the producer named it for a re-read instead.
    const range = await readRange(deps.kinesisFor(stream.clientRegion), {
      stream: stream.ref,
      shardId: message.shardId,
      startSequenceNumber: record.sequenceNumber,
      endSequenceNumber: record.sequenceNumber,
      deadline: deps.deadline,
      expectedRecords: 1,
    });
    incomplete ||= range.incomplete;
    const found = range.records[0];
    if (found && !range.trimmed)
      records.push({ data: found.Data ?? new Uint8Array(), partitionKey: found.PartitionKey ?? record.partitionKey });
    else lost += 1;
  }
  return {
    kind: parsed.kind,
    reason: message.reason,
    streamArn: message.streamArn,
    shardId: message.shardId,
    firstArrival: Math.min(...message.records.map((r) => r.approximateArrivalTimestamp * 1000)),
    records,
    expired: lost > 0,
    lostToRetention: lost,
    incomplete,
  };
}
