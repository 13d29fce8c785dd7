/**
 * Turns one dead-letter message into the records to put back: inline for our record messages, read
 * from the failures bucket for S3's notifications, re-read from the shard for Lambda's metadata-only
 * on-failure records (and for inline records too large to have fitted).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisBatchInfo } from '../dlq/lambdaFailure';
import type { DlqMessage } from '../dlq/parseDlqMessage';
import type { RecordMessage } from '../dlq/recordMessage';
import type { S3Notification } from '../dlq/s3Notification';
import type { KinesisRecord } from '../kinesis/putRecords';
import type { StreamResolver } from '../kinesis/streamRef';
import { FailedBatchObjectError, readFailedBatch } from './readFailedBatch';
import { readRange } from './readRange';

/** Where a message's records came from, counted per record. */
export interface RecordSources {
  /** In the message itself (our poison-record messages). */
  inline: number;
  /** From a failed-batch object in the failures bucket. */
  s3: number;
  /** Re-read from the shard (Lambda's metadata-only records, records too large to have fitted inline). */
  reRead: number;
}

export interface ResolvedMessage {
  kind: DlqMessage['kind'];
  /** Our message's reason, or Lambda's condition (e.g. `RetryAttemptsExhausted`). */
  reason: string;
  streamArn: string;
  shardId: string;
  /** Arrival time of the oldest record, epoch ms (for time filters). */
  firstArrival: number;
  records: KinesisRecord[];
  sources: RecordSources;
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
  /** Reads the failures bucket. */
  s3: S3Client;
  resolveStream: StreamResolver;
  deadline: number;
}

const noSources = (): RecordSources => ({ inline: 0, s3: 0, reRead: 0 });

async function resolveRange(
  info: KinesisBatchInfo,
  reason: string,
  kind: DlqMessage['kind'],
  deps: ResolveDeps,
): Promise<ResolvedMessage> {
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
    kind,
    reason,
    streamArn: info.streamArn,
    shardId: info.shardId,
    firstArrival: Date.parse(info.approximateArrivalOfFirstRecord),
    records: range.records.map((r) => ({ data: r.Data ?? new Uint8Array(), partitionKey: r.PartitionKey ?? '' })),
    sources: { ...noSources(), reRead: range.records.length },
    expired: range.trimmed || lost > 0,
    lostToRetention: range.trimmed ? Math.max(lost, 1) : lost,
    incomplete: range.incomplete,
  };
}

/**
 * The records of every object a notification names, in order. An object without a payload (none of
 * Lambda's so far) falls back to re-reading its range.
 */
async function resolveObjects(message: S3Notification, deps: ResolveDeps): Promise<ResolvedMessage> {
  const parts: ResolvedMessage[] = [];
  for (const ref of message.objects) {
    const { failure, records } = await readFailedBatch(deps.s3, ref);
    const info = failure.KinesisBatchInfo;
    const part =
      records === undefined
        ? await resolveRange(info, failure.requestContext.condition, 's3-objects', deps)
        : {
            kind: 's3-objects' as const,
            reason: failure.requestContext.condition,
            streamArn: info.streamArn,
            shardId: info.shardId,
            firstArrival: Date.parse(info.approximateArrivalOfFirstRecord),
            records: records.map((r) => ({ data: Buffer.from(r.data, 'base64'), partitionKey: r.partitionKey })),
            sources: { ...noSources(), s3: records.length },
            expired: false,
            lostToRetention: 0,
            incomplete: false,
          };
    if (parts[0] && (parts[0].streamArn !== part.streamArn || parts[0].shardId !== part.shardId))
      throw new FailedBatchObjectError(ref, 'the notification names failed batches of different shards');
    parts.push(part);
  }
  const [first] = parts;
  if (!first) throw new Error('an S3 notification with no objects reached resolveMessage');
  const sum = (of: (part: ResolvedMessage) => number): number => parts.reduce((n, part) => n + of(part), 0);
  return {
    ...first,
    firstArrival: Math.min(...parts.map((part) => part.firstArrival)),
    records: parts.flatMap((part) => part.records),
    sources: { inline: 0, s3: sum((part) => part.sources.s3), reRead: sum((part) => part.sources.reRead) },
    expired: parts.some((part) => part.expired),
    lostToRetention: sum((part) => part.lostToRetention),
    incomplete: parts.some((part) => part.incomplete),
  };
}

async function resolveRecords(message: RecordMessage, deps: ResolveDeps): Promise<ResolvedMessage> {
  const stream = deps.resolveStream(message.streamArn);
  const records: KinesisRecord[] = [];
  const sources = noSources();
  let lost = 0;
  let incomplete = false;
  for (const record of message.records) {
    if (record.data !== undefined) {
      records.push({ data: Buffer.from(record.data, 'base64'), partitionKey: record.partitionKey });
      sources.inline += 1;
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
    if (found && !range.trimmed) {
      records.push({ data: found.Data ?? new Uint8Array(), partitionKey: found.PartitionKey ?? record.partitionKey });
      sources.reRead += 1;
    } else lost += 1;
  }
  return {
    kind: 'records',
    reason: message.reason,
    streamArn: message.streamArn,
    shardId: message.shardId,
    firstArrival: Math.min(...message.records.map((r) => r.approximateArrivalTimestamp * 1000)),
    records,
    sources,
    expired: lost > 0,
    lostToRetention: lost,
    incomplete,
  };
}

/**
 * @throws FailedBatchObjectError when a failed-batch object cannot be used (the message is kept for a
 *   person); any other error is a re-read or read that failed this time (or an S3 test event, which
 *   names no records).
 * @example
 * const resolved = await resolveMessage(parseDlqMessage(body), { kinesisFor, s3, resolveStream, deadline });
 */
export async function resolveMessage(parsed: DlqMessage, deps: ResolveDeps): Promise<ResolvedMessage> {
  // The replay drops these before resolving; anything else asking is a mistake in the caller.
  if (parsed.kind === 's3-test') throw new Error('an S3 test event names no records: there is nothing to resolve');
  if (parsed.kind === 'lambda-failure')
    return resolveRange(parsed.message.KinesisBatchInfo, parsed.message.requestContext.condition, parsed.kind, deps);
  if (parsed.kind === 's3-objects') return resolveObjects(parsed.message, deps);
  return resolveRecords(parsed.message, deps);
}
