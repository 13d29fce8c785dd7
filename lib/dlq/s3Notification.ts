/**
 * The third kind of dead-letter message: S3's event notification for a failed batch Lambda wrote to
 * the failures bucket (failureDestination s3). The message names objects; their bodies hold the
 * records (lib/dlq/failedBatchObject.ts). S3 also sends one `s3:TestEvent` when the notification is
 * configured: it names nothing and is dropped by the replay.
 */
import { isPlainObject as isObject } from '../errors';
import { DlqMessageError } from './errors';

export interface S3ObjectRef {
  bucket: string;
  /** Decoded (S3 sends keys URL-encoded, spaces as `+`). */
  key: string;
  /** Bytes, as the notification states it. */
  size: number;
  region: string;
}

export interface S3Notification {
  objects: S3ObjectRef[];
}

/** The notification S3 sends to check a queue it was configured with. */
export function isS3TestEvent(value: Record<string, unknown>): boolean {
  return value.Event === 's3:TestEvent' && value.Service === 'Amazon S3';
}

/** Whether a parsed message body looks like an S3 event notification (and so must parse as one). */
export function isS3Notification(value: Record<string, unknown>): boolean {
  const records = value.Records;
  return Array.isArray(records) && records.some((record) => isObject(record) && record.eventSource === 'aws:s3');
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch (error) {
    throw new DlqMessageError(`S3 notification: object key ${JSON.stringify(key.slice(0, 200))} is not URL-encoded`, {
      cause: error,
    });
  }
}

function objectRef(record: unknown, index: number): S3ObjectRef {
  const where = `Records[${index}]`;
  if (!isObject(record) || record.eventSource !== 'aws:s3')
    throw new DlqMessageError(`S3 notification: ${where} is not an S3 event record`);
  const eventName = typeof record.eventName === 'string' ? record.eventName : '';
  if (!eventName.startsWith('ObjectCreated:'))
    throw new DlqMessageError(`S3 notification: ${where} is ${JSON.stringify(eventName)}, not ObjectCreated`);
  const s3 = isObject(record.s3) ? record.s3 : {};
  const bucket = isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = isObject(s3.object) ? s3.object : {};
  if (typeof bucket !== 'string' || bucket === '')
    throw new DlqMessageError(`S3 notification: ${where} names no bucket`);
  if (typeof object.key !== 'string' || object.key === '')
    throw new DlqMessageError(`S3 notification: ${where} names no object key`);
  return {
    bucket,
    key: decodeKey(object.key),
    size: typeof object.size === 'number' && object.size >= 0 ? object.size : 0,
    region: typeof record.awsRegion === 'string' ? record.awsRegion : '',
  };
}

/**
 * @throws DlqMessageError when a record is not an `ObjectCreated` event with a bucket and a key.
 * @example
 * parseS3Notification(JSON.parse(body)); // { objects: [{ bucket, key: 'aws/lambda/<uuid>/shardId-.../...', size, region }] }
 */
export function parseS3Notification(value: Record<string, unknown>): S3Notification {
  const records = value.Records as unknown[];
  if (records.length === 0) throw new DlqMessageError('S3 notification: Records is empty');
  return { objects: records.map(objectRef) };
}
