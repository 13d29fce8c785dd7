/**
 * The seam through which tests and the local stack hand a function their own AWS clients (for
 * example one with a fault-injecting middleware): `lambdaHandler(definition, { clients })`. Types
 * only, so a function's bundle still loads just the SDK clients it builds.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface ClientOverrides {
  /** Used instead of building a Kinesis client for `region`. */
  kinesis?: (region: string) => KinesisClient;
  /** Used instead of building the SQS client. */
  sqs?: () => SQSClient;
}
