/**
 * Sends message bodies to the dead-letter queue with SendMessageBatch: 10 entries a call and, per
 * call, no more bytes than one message may have (SQS caps a batch's total payload at the same size as
 * a single message). Failed entries are retried with backoff; whatever is still unsent at the end
 * throws `DeadLetterError`, so the caller fails the batch and Lambda delivers it again: a poison record
 * is never dropped. The price is at-least-once delivery: a retry may send a message twice.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterError, errorMessage } from '../errors';
import { classifyAwsError, isRetryableCode } from '../retry/awsErrors';
import { retryDelay, sleep, SQS_RETRY, type RetryPolicy } from '../retry/policy';
import { DEFAULT_MAX_MESSAGE_BYTES } from './recordMessage';

export const MAX_BATCH_ENTRIES = 10;

export interface SendOptions {
  /** The queue's maximum message size; also the batch's total. Default 256 KiB. */
  maxBytes?: number;
  /** Backoff between tries of failed entries; `maxAttempts` counts the first. Default `SQS_RETRY` (4 tries). */
  retry?: Partial<RetryPolicy>;
}

export interface SendResult {
  messages: number;
  calls: number;
}

function batches(entries: readonly SendMessageBatchRequestEntry[], maxBytes: number): SendMessageBatchRequestEntry[][] {
  const out: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? '');
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * @example
 * await sendToDlq(sqs, dlqUrl, packRecordMessages(header, records, 262_144), { maxBytes: 262_144 });
 */
export async function sendToDlq(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  options: SendOptions = {},
): Promise<SendResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const policy: RetryPolicy = { ...SQS_RETRY, ...options.retry };
  let pending: SendMessageBatchRequestEntry[] = bodies.map((body, index) => ({ Id: `m${index}`, MessageBody: body }));
  let calls = 0;
  let lastError = '';
  let lastCause: unknown;
  let attempt = 0;
  for (; attempt < policy.maxAttempts && pending.length > 0; attempt += 1) {
    if (attempt > 0) await sleep(retryDelay(policy, attempt));
    const failed: SendMessageBatchRequestEntry[] = [];
    for (const batch of batches(pending, maxBytes)) {
      calls += 1;
      try {
        const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
        const failedIds = new Set((result.Failed ?? []).map((failure) => failure.Id));
        for (const failure of result.Failed ?? []) {
          lastError = `${failure.Code ?? 'unknown'}: ${failure.Message ?? ''}`;
          // A sender fault (e.g. a body over the queue's limit) fails identically every time.
          if (failure.SenderFault && !isRetryableCode(failure.Code ?? ''))
            throw new DeadLetterError(`the dead-letter queue refused a message: ${lastError}`);
        }
        failed.push(...batch.filter((entry) => failedIds.has(entry.Id)));
      } catch (error) {
        if (error instanceof DeadLetterError) throw error;
        lastError = errorMessage(error);
        lastCause = error;
        // No queue, no access: every try fails the same way, so say so now.
        if (!classifyAwsError(error).retryable)
          throw new DeadLetterError(`the dead-letter queue cannot be written: ${lastError}`, { cause: error });
        failed.push(...batch);
      }
    }
    pending = failed;
  }
  if (pending.length > 0)
    throw new DeadLetterError(
      `${pending.length} of ${bodies.length} dead-letter messages could not be sent after ${attempt} attempts: ${lastError}`,
      {
        cause: lastCause,
      },
    );
  return { messages: bodies.length, calls };
}
