/**
 * Drains the dead-letter queue back into the stream. A message is deleted only after every one of its
 * records is on the stream; anything else (a failed put, an expired range, a filter miss, a dry run)
 * leaves it in the queue, made visible again at the end of the run for the next one.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseDlqMessage } from '../dlq/parseDlqMessage';
import { errorMessage } from '../errors';
import type { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { putRecordsConcurrently } from '../kinesis/putConcurrently';
import type { KinesisRecord } from '../kinesis/putRecords';
import type { StreamResolver } from '../kinesis/streamRef';
import { isRetryableAwsError } from '../retry/awsErrors';
import { SQS_RETRY, withRetry } from '../retry/policy';
import { Pacer } from './pacer';
import { FailedBatchObjectError } from './readFailedBatch';
import type { DrainRequest, ReplayFilter } from './request';
import { resolveMessage, type RecordSources, type ResolvedMessage } from './resolveMessage';

/** A drain as the replay runs it: the request's fields (all optional here), where, and until when. */
export type ReplayOptions = Partial<Omit<DrainRequest, 'operation'>> & {
  queueUrl: string;
  /** Epoch ms: stop starting new work after this (a Lambda's remaining time less a margin). */
  deadline: number;
  onProgress?: (report: ReplayReport) => void;
};

export interface ReplayDeps {
  sqs: SQSClient;
  /** The Kinesis client for a region (a dead letter may name a stream in another region). */
  kinesisFor: (region: string) => KinesisClient;
  /** Reads failed batches from the failures bucket (S3 notifications). */
  s3: S3Client;
  resolveStream: StreamResolver;
  /**
   * PutRecords calls in flight for the run, adapted to what the stream takes
   * (lib/kinesis/adaptiveLimit.ts): a replay fills the capacity live traffic leaves. None: one call
   * at a time. The rate (`recordsPerSecond`) still caps the records put.
   */
  putLimit?: AdaptiveLimit;
}

export type StopReason = 'drained' | 'deadline' | 'max-messages' | 'max-records';

export interface ReplayReport {
  messagesSeen: number;
  /** Messages whose records are all back on the stream (deleted, unless a dry run). */
  replayed: number;
  expired: number;
  failed: number;
  skipped: number;
  /**
   * Messages that are not a dead letter we understand, or name a failed-batch object that cannot be
   * read or parsed (left in the queue, and the object in the bucket, for a person).
   */
  unreadable: number;
  /** S3's test events (sent once when the bucket's notification is set up): deleted, unless a dry run. */
  ignored: number;
  recordsReplayed: number;
  /** Where the replayed records came from: the message itself, the failures bucket, or the stream. */
  recordsFrom: RecordSources;
  recordsLostToRetention: number;
  durationMs: number;
  stoppedBecause: StopReason;
  dryRun: boolean;
  /** One line per message that did not replay, for the operator. */
  problems: string[];
}

const RECEIVE_BATCH = 10;
/** Messages of a receive batch fetched at once (objects read, ranges re-read on different shards). */
const FETCH_CONCURRENCY = 4;

/** The shard a metadata-only message re-reads, as a lane name; undefined for other messages. */
function rangeLane(body: string): string | undefined {
  try {
    const parsed = parseDlqMessage(body);
    if (parsed.kind !== 'lambda-failure') return undefined;
    const { streamArn, shardId } = parsed.message.KinesisBatchInfo;
    return `${streamArn}|${shardId}`;
  } catch {
    return undefined;
  }
}
/**
 * Long enough for a receive batch's records to be re-read (paced) and put, so a message does not
 * reappear while it is being replayed; released early at the end of the run.
 */
const VISIBILITY_SECONDS = 900;
/** Receives in a row that bring only messages sent after the run began, before it calls the queue drained. */
const MAX_RECEIVES_WITHOUT_WORK = 3;

function matches(resolved: ResolvedMessage, filter: ReplayFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.reasons?.length && !filter.reasons.includes(resolved.reason)) return false;
  if (filter.shardIds?.length && !filter.shardIds.includes(resolved.shardId)) return false;
  if (filter.since !== undefined && resolved.firstArrival < filter.since) return false;
  if (filter.until !== undefined && resolved.firstArrival > filter.until) return false;
  return true;
}

/**
 * Drains the queue once: each message seen at most once per run, messages sent after the run began
 * left for the next one, and a message deleted only after every one of its records is back.
 *
 * @returns counts per outcome and one line per message that did not replay; a message that is not
 *   deleted is made visible again at the end of the run.
 * @throws only when the queue itself cannot be read (after retries); records already put back stay
 *   put, and their messages stay in the queue, so the next run puts them again (harmless: every
 *   write downstream is idempotent).
 * @example
 * const report = await replayQueue(replayDeps(readAwsConfig(process.env)), { queueUrl, deadline: Date.now() + 60_000 });
 */
export async function replayQueue(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const report: ReplayReport = {
    messagesSeen: 0,
    replayed: 0,
    expired: 0,
    failed: 0,
    skipped: 0,
    unreadable: 0,
    ignored: 0,
    recordsReplayed: 0,
    recordsFrom: { inline: 0, s3: 0, reRead: 0 },
    recordsLostToRetention: 0,
    durationMs: 0,
    stoppedBecause: 'drained',
    dryRun: options.dryRun ?? false,
    problems: [],
  };
  const seen = new Set<string>();
  const release: Message[] = [];
  const pacer = new Pacer(options.recordsPerSecond);
  // Queue calls get the shared retry policy; only a queue that stays unreachable ends the run. The
  // first try always runs (a delete after the puts must be attempted), retries only before the deadline.
  const queueCall = <T>(call: () => Promise<T>): Promise<T> =>
    withRetry(call, { policy: SQS_RETRY, deadline: options.deadline, isRetryable: isRetryableAwsError });

  /**
   * Puts records back on one stream in calls of up to 500 (paced), and returns the indexes that did
   * not go in. The records of several messages go together: fewer, fuller PutRecords calls.
   */
  const putBack = async (streamName: string, records: readonly KinesisRecord[]): Promise<Set<number>> => {
    const stream = deps.resolveStream(streamName);
    const kinesis = deps.kinesisFor(stream.clientRegion);
    const failed = new Set<number>();
    for (let offset = 0; offset < records.length; offset += pacer.slice()) {
      const slice = records.slice(offset, offset + pacer.slice());
      await pacer.wait(options.deadline);
      const result = await putRecordsConcurrently(kinesis, slice, {
        stream: stream.ref,
        deadline: options.deadline,
        concurrency: deps.putLimit?.max ?? 1,
        ...(deps.putLimit ? { limit: deps.putLimit } : {}),
      });
      pacer.count(slice.length);
      for (const failure of result.failed) failed.add(offset + failure.index);
      const first = result.failed[0];
      if (first)
        report.problems.push(
          `${streamName}: ${result.failed.length} of ${slice.length} records not put (${first.code}: ${first.message})`,
        );
    }
    return failed;
  };

  type Prepared =
    | { outcome: 'kept'; dryRunRecords?: number }
    | { outcome: 'drop' }
    | { outcome: 'stop-max-records' }
    | { outcome: 'put'; resolved: ResolvedMessage };

  /** A message read and its records fetched; what it means for the run is decided after. */
  type Fetched =
    | { kind: 'unparsable'; error: unknown }
    | { kind: 'test' }
    | { kind: 'unusable-object'; error: FailedBatchObjectError }
    | { kind: 'unfetchable'; error: unknown; reRead: boolean }
    | { kind: 'resolved'; resolved: ResolvedMessage };

  const countReplayed = (resolved: ResolvedMessage): void => {
    report.recordsReplayed += resolved.records.length;
    report.recordsFrom.inline += resolved.sources.inline;
    report.recordsFrom.s3 += resolved.sources.s3;
    report.recordsFrom.reRead += resolved.sources.reRead;
    if (!resolved.expired) report.replayed += 1;
  };

  /** Parses a message and fetches its records (from itself, the bucket or the stream); changes nothing. */
  const fetch = async (message: Message): Promise<Fetched> => {
    let parsed: ReturnType<typeof parseDlqMessage>;
    try {
      parsed = parseDlqMessage(message.Body ?? '');
    } catch (error) {
      return { kind: 'unparsable', error };
    }
    if (parsed.kind === 's3-test') return { kind: 'test' };
    try {
      return { kind: 'resolved', resolved: await resolveMessage(parsed, { ...deps, deadline: options.deadline }) };
    } catch (error) {
      if (error instanceof FailedBatchObjectError) return { kind: 'unusable-object', error };
      return { kind: 'unfetchable', error, reRead: parsed.kind !== 's3-objects' };
    }
  };

  /**
   * The messages of a receive batch fetched side by side, at most FETCH_CONCURRENCY at once, and
   * those that re-read a range of the same shard one after another: each shard's 5 GetRecords
   * calls a second are shared with the consumer and relay, and readRange paces itself per call.
   */
  const fetchAll = async (messages: readonly Message[]): Promise<Fetched[]> => {
    const results: Fetched[] = new Array(messages.length);
    const byShard = new Map<string, number[]>();
    messages.forEach((message, position) => {
      const lane = rangeLane(message.Body ?? '') ?? `message:${position}`;
      byShard.set(lane, [...(byShard.get(lane) ?? []), position]);
    });
    const lanes = [...byShard.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let lane = lanes[next++]; lane !== undefined; lane = lanes[next++])
        for (const position of lane) results[position] = await fetch(messages[position] as Message);
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, lanes.length) }, worker));
    return results;
  };

  /** What to do with a fetched message, in message order (counts, filters, limits); nothing is put here. */
  const decide = (message: Message, fetched: Fetched, plannedRecords: number): Prepared => {
    if (fetched.kind === 'unparsable') {
      report.unreadable += 1;
      report.problems.push(`message ${message.MessageId}: ${errorMessage(fetched.error)}`);
      return { outcome: 'kept' };
    }
    if (fetched.kind === 'test') {
      report.ignored += 1;
      return options.dryRun ? { outcome: 'kept' } : { outcome: 'drop' };
    }
    if (fetched.kind === 'unusable-object') {
      // Kept, and the object left in the bucket: neither is deleted until a person has looked.
      report.unreadable += 1;
      report.problems.push(
        `message ${message.MessageId}: failed-batch object unusable, kept: ${fetched.error.message}`,
      );
      return { outcome: 'kept' };
    }
    if (fetched.kind === 'unfetchable') {
      // A re-read that failed (throttled past the SDK's retries, stream gone, no access): the message
      // is sound, this run could not use it.
      report.failed += 1;
      report.problems.push(
        `message ${message.MessageId}: could not ${fetched.reRead ? 're-read' : 'read'} its records: ${errorMessage(fetched.error)}`,
      );
      return { outcome: 'kept' };
    }
    const { resolved } = fetched;
    if (!matches(resolved, options.filter)) {
      report.skipped += 1;
      return { outcome: 'kept' };
    }
    if (resolved.incomplete) {
      report.problems.push(`message ${message.MessageId}: re-read cut short by the deadline; left for the next run`);
      return { outcome: 'kept' };
    }
    if (
      options.maxRecords !== undefined &&
      plannedRecords + resolved.records.length > options.maxRecords &&
      plannedRecords > 0
    ) {
      return { outcome: 'stop-max-records' };
    }
    if (resolved.expired) {
      report.expired += 1;
      report.recordsLostToRetention += resolved.lostToRetention;
      report.problems.push(
        `message ${message.MessageId}: ${resolved.lostToRetention} record(s) of ${resolved.shardId} no longer on the stream` +
          (options.dropExpired
            ? '; the rest put back and the message dropped'
            : '; kept (use dropExpired to put back the rest and drop it)'),
      );
      if (!options.dropExpired) return { outcome: 'kept' };
    }
    if (options.dryRun) {
      countReplayed(resolved);
      return { outcome: 'kept', dryRunRecords: resolved.records.length };
    }
    return { outcome: 'put', resolved };
  };

  /**
   * Puts the records of a receive batch's messages back, stream by stream; deletes the messages all
   * of whose records went in, and `drop` (messages that name no records).
   */
  const putAndDelete = async (
    batch: { message: Message; resolved: ResolvedMessage }[],
    drop: Message[],
  ): Promise<Message[]> => {
    const byStream = new Map<string, typeof batch>();
    for (const item of batch) {
      const stream = options.targetStream ?? item.resolved.streamArn;
      byStream.set(stream, [...(byStream.get(stream) ?? []), item]);
    }
    const done: typeof batch = [];
    const kept: Message[] = [];
    for (const [stream, items] of byStream) {
      const failed = await putBack(
        stream,
        items.flatMap((item) => item.resolved.records),
      );
      let offset = 0;
      for (const item of items) {
        const count = item.resolved.records.length;
        let ok = true;
        for (let i = offset; i < offset + count && ok; i += 1) ok = !failed.has(i);
        offset += count;
        if (ok) done.push(item);
        else {
          report.failed += 1;
          kept.push(item.message);
        }
      }
    }
    const toDelete = [...done.map((item) => item.message), ...drop];
    if (toDelete.length > 0) {
      const entries = toDelete.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle }));
      const { Failed = [] } = await queueCall(() =>
        deps.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries })),
      );
      // A delete that failed leaves a message whose records are back: the next run puts them again,
      // which the idempotent write absorbs.
      for (const failure of Failed)
        report.problems.push(`could not delete a replayed message (${failure.Code}): it will be replayed again`);
    }
    for (const item of done) countReplayed(item.resolved);
    return kept;
  };

  let idleReceives = 0;
  // Records decided for putting (or counted, in a dry run) so far: what maxRecords is checked against.
  let plannedRecords = 0;
  // The previous batch's puts and deletes, running while the next batch is received and fetched.
  let putting: Promise<void> | undefined;
  const putInBackground = (batch: { message: Message; resolved: ResolvedMessage }[], drop: Message[]): void => {
    const before = putting ?? Promise.resolve();
    putting = before
      .then(() => putAndDelete(batch, drop))
      .then((kept) => {
        release.push(...kept);
        report.durationMs = Date.now() - started;
        options.onProgress?.({ ...report });
      });
    // Handled here so a failure while the next batch is being received is not an unhandled
    // rejection; it still surfaces at the next `await putting`. Messages of a batch that never got
    // put (a delete that failed for good before it) stay hidden and come back at their visibility
    // timeout: replayed by a later run, never lost.
    putting.catch(() => undefined);
  };
  try {
    // Bounded by the deadline and the queue: every pass either handles new messages or stops.
    for (let pass = 0; pass < 1_000_000; pass += 1) {
      if (Date.now() >= options.deadline) {
        report.stoppedBecause = 'deadline';
        break;
      }
      if (options.maxMessages !== undefined && report.messagesSeen >= options.maxMessages) {
        report.stoppedBecause = 'max-messages';
        break;
      }
      const wanted = Math.min(RECEIVE_BATCH, (options.maxMessages ?? Infinity) - report.messagesSeen);
      const { Messages = [] } = await queueCall(() =>
        deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: wanted,
            VisibilityTimeout: VISIBILITY_SECONDS,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        ),
      );
      // Messages seen before in this run came back (their visibility ran out), and messages sent since
      // the run began (records it put back that failed again, new failures) are the next run's: without
      // this, poison put back would come round again and again until the deadline.
      const later = (m: Message): boolean =>
        seen.has(m.MessageId ?? '') || Number(m.Attributes?.SentTimestamp) > started;
      const fresh = Messages.filter((m) => !later(m));
      release.push(...Messages.filter(later));
      if (fresh.length === 0) {
        // Only our own messages came back, or nothing: drained. Only newer ones: they are hidden
        // now, so the next receive reaches older messages, if any are left. A batch still being put
        // may fail and put its messages back: wait for it before calling the queue drained.
        await putting;
        idleReceives += 1;
        if (
          Messages.length === 0 ||
          Messages.every((m) => seen.has(m.MessageId ?? '')) ||
          idleReceives >= MAX_RECEIVES_WITHOUT_WORK
        )
          break;
        continue;
      }
      idleReceives = 0;
      for (const message of fresh) seen.add(message.MessageId ?? '');
      const fetched = await fetchAll(fresh);
      let stop: StopReason | undefined;
      const toPut: { message: Message; resolved: ResolvedMessage }[] = [];
      const toDrop: Message[] = [];
      fresh.forEach((message, position) => {
        if (stop || Date.now() >= options.deadline) {
          stop ??= 'deadline';
          seen.delete(message.MessageId ?? '');
          release.push(message);
          return;
        }
        const prepared = decide(message, fetched[position] as Fetched, plannedRecords);
        if (prepared.outcome === 'stop-max-records') {
          seen.delete(message.MessageId ?? '');
          stop = 'max-records';
          release.push(message);
          return;
        }
        report.messagesSeen += 1;
        if (prepared.outcome === 'kept') release.push(message);
        else if (prepared.outcome === 'drop') toDrop.push(message);
        else {
          toPut.push({ message, resolved: prepared.resolved });
          plannedRecords += prepared.resolved.records.length;
        }
        if (prepared.outcome === 'kept') plannedRecords += prepared.dryRunRecords ?? 0;
      });
      if (toPut.length > 0 || toDrop.length > 0) putInBackground(toPut, toDrop);
      else {
        report.durationMs = Date.now() - started;
        options.onProgress?.({ ...report });
      }
      if (stop) {
        report.stoppedBecause = stop;
        break;
      }
    }
    await putting;
  } finally {
    // No put may outlive the run (or run after its messages are released): wait for it to settle.
    await putting?.catch(() => undefined);
    await releaseMessages(deps.sqs, options.queueUrl, release);
  }
  report.durationMs = Date.now() - started;
  return report;
}

/**
 * Makes kept messages visible again now, so the next run (or a run right after a dry run) sees them.
 * Never throws: a message not released is visible again when its visibility timeout ends.
 */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += RECEIVE_BATCH) {
    const batch = messages.slice(i, i + RECEIVE_BATCH);
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      )
      // Not releasing only delays the next run by the visibility timeout; nothing is lost.
      .catch(() => undefined);
  }
}
