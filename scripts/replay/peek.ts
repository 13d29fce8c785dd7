/**
 * `npm run replay -- --peek`: what the dead-letter queue holds, before anyone redrives it. Reads up
 * to `maxMessages` messages, groups them by kind, reason (or Lambda's condition), shard and hour of
 * the oldest record, counts messages and records, decodes a few sample records, and puts every
 * message back as it was (visible again at once). It puts nothing on a stream and deletes nothing;
 * the only trace is each message's receive count, which SQS raises on any read.
 */
import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseDlqMessage, type DlqMessage } from '../../lib/dlq/parseDlqMessage';
import { errorMessage } from '../../lib/errors';
import { readFailedBatch } from '../../lib/replay/readFailedBatch';
import { releaseMessages } from '../../lib/replay/replayQueue';

export interface PeekGroup {
  kind: string;
  reason: string;
  shardId: string;
  /** The hour (UTC) the group's oldest records arrived in, `YYYY-MM-DDTHH`. */
  hour: string;
  messages: number;
  records: number;
}

export interface PeekSample {
  kind: string;
  reason: string;
  partitionKey: string;
  /** The record's data as text, cut at SAMPLE_CHARS. */
  data: string;
}

export interface PeekReport {
  messages: number;
  groups: PeekGroup[];
  samples: PeekSample[];
  /** Messages (or the objects they name) that cannot be read: one line each. */
  unreadable: string[];
  /** More messages than maxMessages were in the queue: the counts are of the first ones read. */
  truncated: boolean;
}

export interface PeekOptions {
  queueUrl: string;
  maxMessages: number;
  /** Decoded records to show, at most (default 5). */
  samples?: number;
  /** Epoch ms: stop reading after this. */
  deadline: number;
}

/** How people read the kinds. */
const KIND_NAMES: Record<DlqMessage['kind'], string> = {
  records: 'poison records (inline)',
  'lambda-failure': 'failed batch (range on the stream)',
  's3-objects': 'failed batch (in S3)',
  's3-test': 'S3 test event',
};
const SAMPLE_CHARS = 160;
/** Long enough to read the whole peek without a message coming round again; released at the end. */
const VISIBILITY_SECONDS = 120;

interface Described {
  reason: string;
  shardId: string;
  firstArrival: number;
  records: number;
  samples: { partitionKey: string; data: string }[];
}

const hourOf = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 13) : 'unknown');
const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8').slice(0, SAMPLE_CHARS);

async function describe(parsed: DlqMessage, message: Message, s3: S3Client): Promise<Described> {
  switch (parsed.kind) {
    case 'records': {
      const { reason, shardId, records } = parsed.message;
      return {
        reason,
        shardId,
        firstArrival: Math.min(...records.map((r) => r.approximateArrivalTimestamp * 1000)),
        records: records.length,
        samples: records.flatMap((r) =>
          r.data === undefined ? [] : [{ partitionKey: r.partitionKey, data: text(r.data) }],
        ),
      };
    }
    case 'lambda-failure': {
      const info = parsed.message.KinesisBatchInfo;
      return {
        reason: parsed.message.requestContext.condition,
        shardId: info.shardId,
        firstArrival: Date.parse(info.approximateArrivalOfFirstRecord),
        records: info.batchSize,
        // Metadata only: the records are on the stream (if it still holds them); a peek does not re-read.
        samples: [],
      };
    }
    case 's3-objects': {
      const described: Described = { reason: '', shardId: '', firstArrival: Infinity, records: 0, samples: [] };
      for (const ref of parsed.message.objects) {
        const { failure, records } = await readFailedBatch(s3, ref);
        const info = failure.KinesisBatchInfo;
        described.reason = failure.requestContext.condition;
        described.shardId = info.shardId;
        described.firstArrival = Math.min(described.firstArrival, Date.parse(info.approximateArrivalOfFirstRecord));
        described.records += records?.length ?? info.batchSize;
        for (const record of records ?? [])
          described.samples.push({ partitionKey: record.partitionKey, data: text(record.data) });
      }
      return described;
    }
    case 's3-test':
      return {
        reason: '-',
        shardId: '-',
        firstArrival: Number(message.Attributes?.SentTimestamp),
        records: 0,
        samples: [],
      };
  }
}

/**
 * @example
 * const report = await peekQueue({ sqs, s3 }, { queueUrl, maxMessages: 1000, deadline: Date.now() + 60_000 });
 */
export async function peekQueue(deps: { sqs: SQSClient; s3: S3Client }, options: PeekOptions): Promise<PeekReport> {
  const report: PeekReport = { messages: 0, groups: [], samples: [], unreadable: [], truncated: false };
  const groups = new Map<string, PeekGroup>();
  const wantSamples = options.samples ?? 5;
  const read: Message[] = [];
  const seen = new Set<string>();
  try {
    // Bounded by maxMessages and the deadline: every pass reads at least one message or stops.
    while (report.messages < options.maxMessages && Date.now() < options.deadline) {
      const { Messages = [] } = await deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, options.maxMessages - report.messages),
          VisibilityTimeout: VISIBILITY_SECONDS,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      // A message seen before came round again (a peek longer than the visibility timeout): done.
      const fresh = Messages.filter((m) => !seen.has(m.MessageId ?? ''));
      read.push(...Messages);
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        report.messages += 1;
        let parsed: DlqMessage;
        let described: Described;
        try {
          parsed = parseDlqMessage(message.Body ?? '');
          described = await describe(parsed, message, deps.s3);
        } catch (error) {
          report.unreadable.push(`message ${message.MessageId}: ${errorMessage(error)}`);
          continue;
        }
        const kind = KIND_NAMES[parsed.kind];
        const hour = hourOf(described.firstArrival);
        const key = JSON.stringify([kind, described.reason, described.shardId, hour]);
        const group = groups.get(key) ?? {
          kind,
          reason: described.reason,
          shardId: described.shardId,
          hour,
          messages: 0,
          records: 0,
        };
        group.messages += 1;
        group.records += described.records;
        groups.set(key, group);
        for (const sample of described.samples.slice(0, wantSamples - report.samples.length))
          report.samples.push({ kind, reason: described.reason, ...sample });
      }
    }
    report.truncated = report.messages >= options.maxMessages;
  } finally {
    await releaseMessages(deps.sqs, options.queueUrl, read);
  }
  report.groups = [...groups.values()].sort(
    (a, b) =>
      a.kind.localeCompare(b.kind) ||
      a.reason.localeCompare(b.reason) ||
      a.shardId.localeCompare(b.shardId) ||
      a.hour.localeCompare(b.hour),
  );
  return report;
}
