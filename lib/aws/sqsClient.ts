/** SQS clients (the dead-letter queue), built once per container and passed into `lib/`. */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '../config';
import { requestHandler } from './requestHandler';

/**
 * fauxqs answers with queue URLs on a host that does not resolve, so the endpoint must be set
 * explicitly rather than taken from the queue URL.
 *
 * @example
 * const sqs = createSqsClient(readAwsConfig(process.env));
 */
export function createSqsClient(aws: AwsConfig): SQSClient {
  return new SQSClient({
    region: aws.region,
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint } : {}),
    requestHandler: requestHandler(),
  });
}
