/**
 * S3's event notifications, which fauxqs does not emulate: the local stack wraps the S3 client the
 * stream mappings write failed batches with, so that each PutObject under a notified prefix sends
 * the queue what S3 would (event structure 2.1), after the object is stored. A notification that
 * cannot be sent fails the PutObject: the mapping then retries the delivery (another object, another
 * notification; the replay's writes are idempotent), so no failed batch is stored unannounced.
 * S3's one-off s3:TestEvent is not sent (__tests__/helpers/s3Events.ts has its shape for tests).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface NotificationRoute {
  bucket: string;
  /** Only keys starting with this are announced (the template's S3Key prefix filter). */
  prefix: string;
  queueUrl: string;
}

/** S3 URL-encodes keys in notifications, form-style: spaces become `+`, `/` stays. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/**
 * @example
 * s3ObjectCreatedEvent({ bucket: 'failures', key: 'aws/lambda/x', size: 10, region: 'us-east-1', body });
 */
export function s3ObjectCreatedEvent(object: {
  bucket: string;
  key: string;
  size: number;
  region: string;
  body: Uint8Array | string;
}): string {
  const eTag = createHash('md5').update(object.body).digest('hex');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: object.region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase() },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'failed-batches',
          bucket: {
            name: object.bucket,
            ownerIdentity: { principalId: 'LOCAL' },
            arn: `arn:aws:s3:::${object.bucket}`,
          },
          object: {
            key: encodeKey(object.key),
            size: object.size,
            eTag,
            sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  });
}

/**
 * Adds the notifications to `s3` (in place; the same client is returned).
 *
 * @example
 * const s3 = withS3Notifications(createS3Client(aws), sqs, [{ bucket, prefix: 'aws/lambda/', queueUrl }], 'us-east-1');
 */
export function withS3Notifications(
  s3: S3Client,
  sqs: SQSClient,
  routes: readonly NotificationRoute[],
  region: string,
): S3Client {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'PutObjectCommand') return result;
      const input = args.input as { Bucket?: string; Key?: string; Body?: unknown };
      const route = routes.find((r) => r.bucket === input.Bucket && (input.Key ?? '').startsWith(r.prefix));
      if (!route || input.Key === undefined) return result;
      const body = typeof input.Body === 'string' || input.Body instanceof Uint8Array ? input.Body : '';
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: route.queueUrl,
          MessageBody: s3ObjectCreatedEvent({
            bucket: route.bucket,
            key: input.Key,
            size: Buffer.byteLength(body),
            region,
            body,
          }),
        }),
      );
      return result;
    },
    { step: 'initialize', name: 'localS3Notifications' },
  );
  return s3;
}
