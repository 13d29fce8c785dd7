/** SQS clients (the dead-letter queue), built once per container and passed into `lib/`. */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '../config';
import type { ClientOverrides } from './clients';
import { requestHandler } from './requestHandler';

/**
 * fauxqs answers with queue URLs on a host that does not resolve, so the endpoint must be set
 * explicitly rather than taken from the queue URL. `maxAttempts: 1`: the DLQ sender and the replay
 * retry every SQS call by our own policy (lib/retry/policy.ts), within their deadlines.
 *
 * @example
 * const sqs = createSqsClient(readAwsConfig(process.env));
 */
export function createSqsClient(aws: AwsConfig, overrides: ClientOverrides = {}): SQSClient {
  if (overrides.sqs) return overrides.sqs();
  return new SQSClient({
    region: aws.region,
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint } : {}),
    requestHandler: requestHandler(),
    maxAttempts: 1,
  });
}
