/** The S3 client the replay reads failed batches with, built once per container and passed into `lib/`. */
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsConfig } from '../config';
import type { ClientOverrides } from './clients';
import { requestHandler } from './requestHandler';

/**
 * Path-style addressing when an endpoint is set: a local S3 (fauxqs) has no per-bucket host names.
 *
 * @example
 * const s3 = createS3Client(readAwsConfig(process.env));
 */
export function createS3Client(aws: AwsConfig, overrides: ClientOverrides = {}): S3Client {
  if (overrides.s3) return overrides.s3();
  return new S3Client({
    region: aws.region,
    ...(aws.s3Endpoint ? { endpoint: aws.s3Endpoint, forcePathStyle: true } : {}),
    requestHandler: requestHandler(),
  });
}
