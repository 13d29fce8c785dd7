/**
 * A DLQ of the consumer's own record messages for the replay rows, packed and sent with the
 * project's code (as bench/fixtures/deadLetters.ts does), plus what the checks need to know: which
 * records each message holds, in which order the replay received the messages, and which it deleted.
 */
import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { DEFAULT_MAX_MESSAGE_BYTES, type RecordMessage } from '../../lib/dlq/recordMessage';
import { sendToDlq } from '../../lib/dlq/send';
import { benchRecordMessages } from '../fixtures/deadLetters';
import type { Expected } from './verify';

/** Messages packed once, sent to a fresh queue before every run. */
export interface PackedDeadLetters {
  bodies: string[];
  /** Per body: the first record index it holds and how many. */
  ranges: { start: number; count: number }[];
  /** MD5 (hex) of a body -> its index in `bodies`. */
  byDigest: Map<string, number>;
  ids: string[];
  keys: string[];
}

const md5 = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/**
 * @param ids the eventId of each record, in `records` order.
 * @example
 * const packed = packDeadLetters(records, ids, streamArn('bench-write-source'));
 */
export function packDeadLetters(
  records: readonly KinesisStreamRecord[],
  ids: readonly string[],
  streamArn: string,
): PackedDeadLetters {
  const bodies = benchRecordMessages(records, streamArn);
  const ranges: PackedDeadLetters['ranges'] = [];
  const byDigest = new Map<string, number>();
  let start = 0;
  bodies.forEach((body, index) => {
    // Packing keeps record order: each body holds the next run of records.
    const count = (JSON.parse(body) as RecordMessage).records.length;
    ranges.push({ start, count });
    start += count;
    byDigest.set(md5(body), index);
  });
  if (start !== records.length) throw new Error(`packed ${start} of ${records.length} records`);
  return {
    bodies,
    ranges,
    byDigest,
    ids: [...ids],
    keys: records.map((record) => record.kinesis.partitionKey),
  };
}

/**
 * @example
 * await sendDeadLetters(sqs, queueUrl, packed);
 */
export async function sendDeadLetters(sqs: SQSClient, queueUrl: string, packed: PackedDeadLetters): Promise<void> {
  await sendToDlq(sqs, queueUrl, packed.bodies, { maxBytes: DEFAULT_MAX_MESSAGE_BYTES });
}

/** What the replay did with the queue, seen from its SQS client. */
export interface QueueWatch {
  /** Body indexes in the order the replay first received them. */
  received: number[];
  /** Body indexes deleted (all their records back on the stream). */
  deleted: Set<number>;
  /** Takes the middleware off the client. */
  remove(): void;
}

/**
 * Watches ReceiveMessage and DeleteMessageBatch on the replay's SQS client (cheap: a digest per
 * message received), so the checks know the order the replay put messages in and which it deleted.
 *
 * @example
 * const watch = watchQueue(deps.sqs, packed);
 */
export function watchQueue(sqs: SQSClient, packed: PackedDeadLetters): QueueWatch {
  const name = `bench-queue-watch-${Math.random()}`;
  const byReceipt = new Map<string, number>();
  const seen = new Set<number>();
  const watch: QueueWatch = { received: [], deleted: new Set(), remove: () => sqs.middlewareStack.remove(name) };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ReceiveMessageCommand') {
        const output = result.output as { Messages?: { Body?: string; ReceiptHandle?: string }[] };
        for (const message of output.Messages ?? []) {
          const index = packed.byDigest.get(md5(message.Body ?? ''));
          if (index === undefined) continue;
          if (message.ReceiptHandle) byReceipt.set(message.ReceiptHandle, index);
          if (!seen.has(index)) {
            seen.add(index);
            watch.received.push(index);
          }
        }
      } else if (context.commandName === 'DeleteMessageBatchCommand') {
        const input = args.input as { Entries?: { Id?: string; ReceiptHandle?: string }[] };
        const output = result.output as { Successful?: { Id?: string }[] };
        const handles = new Map((input.Entries ?? []).map((entry) => [entry.Id, entry.ReceiptHandle]));
        for (const ok of output.Successful ?? []) {
          const index = byReceipt.get(handles.get(ok.Id) ?? '');
          if (index !== undefined) watch.deleted.add(index);
        }
      }
      return result;
    },
    { step: 'initialize', name },
  );
  return watch;
}

/**
 * The replay's records in the order it put them (messages in receive order, records in message
 * order; messages never received at the end). Required: the records of deleted messages.
 *
 * @example
 * const [check] = checkStream(onStream, [replayExpectation(packed, watch)]);
 */
export function replayExpectation(packed: PackedDeadLetters, watch: QueueWatch): Expected {
  const order = [...watch.received];
  const received = new Set(order);
  packed.bodies.forEach((_body, index) => {
    if (!received.has(index)) order.push(index);
  });
  const ids: string[] = [];
  const keys: string[] = [];
  const required: boolean[] = [];
  for (const index of order) {
    const range = packed.ranges[index] as { start: number; count: number };
    const deleted = watch.deleted.has(index);
    for (let i = range.start; i < range.start + range.count; i += 1) {
      ids.push(packed.ids[i] as string);
      keys.push(packed.keys[i] as string);
      required.push(deleted);
    }
  }
  return { ids, keys, required: (position) => required[position] ?? true };
}
