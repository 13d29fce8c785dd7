/**
 * The seam through which tests and the local stack hand a function their own AWS clients (for
 * example one with a fault-injecting middleware): `lambdaHandler(definition, { clients })`. Types
 * only, so a function's bundle still loads just the SDK clients it builds.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';

export interface ClientOverrides {
  /** Used instead of building a Kinesis client for `region`. */
  kinesis?: (region: string) => KinesisClient;
  /** Used instead of building the SQS client. */
  sqs?: () => SQSClient;
  /** Used instead of building the S3 client (the replay reads failed batches with it). */
  s3?: () => S3Client;
  /** Used instead of building the SSM client (ingest and status read the API keys with it). */
  ssm?: () => SSMClient;
}
