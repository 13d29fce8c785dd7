/**
 * Delivers on-failure records to the SQS destination. A batch is only moved past once its record
 * is on the queue: when SQS is unreachable the send is retried (one log line per interval) until it
 * succeeds or the mapping stops, in which case the records stay un-checkpointed, never lost silently.
 */
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from './errors';
import type { OnFailureMessage } from './onFailureMessage';
import type { OnFailureTarget } from './types';

export interface SenderDeps {
  sqs: SQSClient;
  target: OnFailureTarget;
  isStopping(): boolean;
  sleep(ms: number): Promise<void>;
  retryDelayMs: number;
  warn(key: string, line: string): void;
  onSendError(): void;
}

/**
 * The queue name is the ARN's last field; fauxqs and AWS both answer GetQueueUrl with it.
 *
 * @example
 * queueNameFromArn('arn:aws:sqs:us-east-1:000000000000:dlq'); // 'dlq'
 */
export function queueNameFromArn(queueArn: string): string {
  return queueArn.split(':').pop() ?? queueArn;
}

export class OnFailureSender {
  private queueUrl: string | undefined;

  constructor(private readonly deps: SenderDeps) {
    this.queueUrl = deps.target.queueUrl;
  }

  /**
   * @example
   * if (!(await sender.send(message))) return 'stopped';
   */
  async send(message: OnFailureMessage): Promise<boolean> {
    const body = JSON.stringify(message);
    // Bounded by stop(): an unreachable destination holds the shard, as it does in Lambda.
    for (let attempt = 1; ; attempt += 1) {
      if (this.deps.isStopping()) return false;
      try {
        if (!this.queueUrl) {
          const { QueueUrl } = await this.deps.sqs.send(
            new GetQueueUrlCommand({ QueueName: queueNameFromArn(this.deps.target.queueArn) }),
          );
          if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${this.deps.target.queueArn}`);
          this.queueUrl = QueueUrl;
        }
        await this.deps.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
        return true;
      } catch (error) {
        this.deps.onSendError();
        this.deps.warn(
          'on-failure-send',
          `on-failure record for ${message.KinesisBatchInfo.shardId} ${message.KinesisBatchInfo.startSequenceNumber}..` +
            `${message.KinesisBatchInfo.endSequenceNumber} not sent (attempt ${attempt}), retrying: ${errorMessage(error)}`,
        );
        await this.deps.sleep(this.deps.retryDelayMs);
      }
    }
  }
}
