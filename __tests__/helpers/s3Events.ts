/** S3's test event, which the local stack does not send: for tests of the replay, which drops it. */
import { randomBytes } from 'node:crypto';

/** What S3 sends a queue when a notification is configured, before any object. */
export function s3TestEvent(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: randomBytes(8).toString('hex').toUpperCase(),
    HostId: randomBytes(24).toString('base64'),
  });
}
