/**
 * The replay's baseline: drain the same DLQ messages, resolve each exactly as the replay does
 * (inline records, or a re-read of the shard range Lambda's on-failure record names), then put each
 * record back with its own PutRecord call; a message is deleted once all its records are in.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { ReplayDeps } from '../../lib/replay/replayQueue';
import { resolveMessage } from '../../lib/replay/resolveMessage';
import { putRecordEach } from './putRecordEach';

export interface DrainResult {
  messages: number;
  records: number;
}

export interface PerRecordReplayOptions {
  queueUrl: string;
  /** Stop after this many messages (the queue holds exactly these). */
  maxMessages: number;
  /** Put into this stream instead of the one each message names (as `replayQueue`'s `targetStream`). */
  targetStream?: string;
}

/**
 * @example
 * const { records } = await replayPerRecord(replayDeps(aws), { queueUrl, maxMessages: 10 });
 */
export async function replayPerRecord(
  deps: ReplayDeps & { sqs: SQSClient },
  options: PerRecordReplayOptions,
): Promise<DrainResult> {
  const out: DrainResult = { messages: 0, records: 0 };
  for (let receives = 0; receives < options.maxMessages + 10 && out.messages < options.maxMessages; receives += 1) {
    const { Messages = [] } = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const resolved = await resolveMessage(parseDlqMessage(message.Body ?? ''), {
        ...deps,
        deadline: Date.now() + 60_000,
      });
      if (resolved.expired || resolved.incomplete)
        throw new Error(`message ${message.MessageId} could not be resolved in full`);
      const stream = deps.resolveStream(options.targetStream ?? resolved.streamArn);
      out.records += await putRecordEach(deps.kinesisFor(stream.clientRegion), stream.name, resolved.records);
      await deps.sqs.send(
        new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      out.messages += 1;
    }
  }
  return out;
}
