/**
 * Reads one failed-batch object from the failures bucket (failureDestination s3) for the replay.
 * An object that cannot be used as it is (gone, not ours to read, not a failed batch, too large) is
 * a `FailedBatchObjectError`: its message stays in the queue for a person. Anything else (throttling,
 * a broken connection) is thrown as it is: the message stays too, and the next run tries again.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DlqMessageError } from '../dlq/errors';
import { parseFailedBatchObject, type FailedBatchObject } from '../dlq/failedBatchObject';
import type { S3ObjectRef } from '../dlq/s3Notification';
import { errorMessage, PipelineError } from '../errors';

/**
 * A Lambda invocation carries at most 6 MB (a batch's records, base64, with their metadata); with the
 * on-failure record around it an object is a little more. Anything far larger is not one of Lambda's.
 */
const MAX_FAILED_BATCH_BYTES = 16 * 1024 * 1024;

/** Errors S3 answers for an object that will not become readable by trying again. */
const PERMANENT = new Set(['NoSuchKey', 'NoSuchBucket', 'AccessDenied', 'InvalidObjectState', 'NotFound']);

export class FailedBatchObjectError extends PipelineError {
  override readonly name = 'FailedBatchObjectError';
  constructor(ref: S3ObjectRef, reason: string, options?: { cause?: unknown }) {
    super('FAILED_BATCH_UNREADABLE', `s3://${ref.bucket}/${ref.key}: ${reason}`, options);
  }
}

/**
 * @throws FailedBatchObjectError when the object is missing, forbidden, too large or not a failed batch.
 * @example
 * const { failure, records } = await readFailedBatch(s3, { bucket, key, size, region });
 */
export async function readFailedBatch(s3: S3Client, ref: S3ObjectRef): Promise<FailedBatchObject> {
  if (ref.size > MAX_FAILED_BATCH_BYTES)
    throw new FailedBatchObjectError(
      ref,
      `${ref.size} bytes is more than a failed batch holds (${MAX_FAILED_BATCH_BYTES})`,
    );
  let body: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    if ((object.ContentLength ?? 0) > MAX_FAILED_BATCH_BYTES)
      throw new FailedBatchObjectError(ref, `${object.ContentLength} bytes is more than a failed batch holds`);
    body = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof FailedBatchObjectError) throw error;
    const name = (error as { name?: string }).name ?? '';
    if (PERMANENT.has(name)) throw new FailedBatchObjectError(ref, `${name}: ${errorMessage(error)}`, { cause: error });
    throw error;
  }
  try {
    return parseFailedBatchObject(body);
  } catch (error) {
    if (error instanceof DlqMessageError) throw new FailedBatchObjectError(ref, error.message, { cause: error });
    throw error;
  }
}
