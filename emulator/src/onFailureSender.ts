/**
 * Delivers on-failure records to the destination: an SQS message of the record, or (S3) an object
 * of the record plus `payload.Records`, the failed records as the function received them. A batch is
 * only moved past once its record is delivered: when the destination is unreachable the send is
 * retried (one log line per interval) until it succeeds or the mapping stops, in which case the
 * records stay un-checkpointed, never lost silently.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { errorMessage } from './errors';
import type { OnFailureMessage } from './onFailureMessage';
import type { OnFailureTarget } from './types';

export interface SenderDeps {
  sqs?: SQSClient;
  s3?: S3Client;
  /** The mapping's UUID: S3 keys start `aws/lambda/<uuid>/`. */
  mappingUuid: string;
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

/**
 * The object key AWS gives an S3 on-failure record (as recorded):
 * `aws/lambda/<mapping uuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random uuid>`.
 *
 * @example
 * s3OnFailureKey('7f3c...', 'shardId-000000000000', new Date('2026-12-01T22:05:09Z'));
 * // 'aws/lambda/7f3c.../shardId-000000000000/2026/12/01/2026-12-01T22.05.09-<uuid>'
 */
export function s3OnFailureKey(mappingUuid: string, shardId: string, at: Date): string {
  const iso = at.toISOString();
  const [date = '', time = ''] = iso.slice(0, 19).split('T');
  return `aws/lambda/${mappingUuid}/${shardId}/${date.replaceAll('-', '/')}/${date}T${time.replaceAll(':', '.')}-${randomUUID()}`;
}

export class OnFailureSender {
  private queueUrl: string | undefined;

  constructor(private readonly deps: SenderDeps) {
    this.queueUrl = 'queueUrl' in deps.target ? deps.target.queueUrl : undefined;
  }

  private async deliver(message: OnFailureMessage, records: readonly KinesisStreamRecord[]): Promise<void> {
    const { target } = this.deps;
    if ('bucketArn' in target) {
      if (!this.deps.s3) throw new Error('an S3 on-failure destination needs an s3 client');
      await this.deps.s3.send(
        new PutObjectCommand({
          Bucket: target.bucketArn.split(':').pop(),
          Key: s3OnFailureKey(this.deps.mappingUuid, message.KinesisBatchInfo.shardId, new Date(message.timestamp)),
          Body: JSON.stringify({ ...message, payload: { Records: records } }),
          ContentType: 'application/json',
        }),
      );
      return;
    }
    if (!this.deps.sqs) throw new Error('an SQS on-failure destination needs an sqs client');
    if (!this.queueUrl) {
      const { QueueUrl } = await this.deps.sqs.send(
        new GetQueueUrlCommand({ QueueName: queueNameFromArn(target.queueArn) }),
      );
      if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${target.queueArn}`);
      this.queueUrl = QueueUrl;
    }
    await this.deps.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }));
  }

  /**
   * @param records the failed records as the function received them (S3 destinations keep them)
   * @example
   * if (!(await sender.send(message, event.Records))) return 'stopped';
   */
  async send(message: OnFailureMessage, records: readonly KinesisStreamRecord[] = []): Promise<boolean> {
    // Bounded by stop(): an unreachable destination holds the shard, as it does in Lambda.
    for (let attempt = 1; ; attempt += 1) {
      if (this.deps.isStopping()) return false;
      try {
        await this.deliver(message, records);
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
