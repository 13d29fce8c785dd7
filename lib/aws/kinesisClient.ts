/**
 * Kinesis clients, built once per container and passed into `lib/` (one module per AWS client, so a
 * bundle loads only the SDK clients its function uses: each adds to the cold start).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsConfig } from '../config';
import type { ClientOverrides } from './clients';
import { requestHandler } from './requestHandler';

/**
 * `maxAttempts: 1`: every Kinesis call here is retried by our own policy (lib/retry/policy.ts), which
 * knows the deadline and retries only the failed entries of a PutRecords; SDK retries under it
 * would add unseen waits and resend entries that had landed.
 *
 * @example
 * const kinesis = createKinesisClient(readAwsConfig(process.env));
 */
export function createKinesisClient(
  aws: AwsConfig,
  region: string = aws.region,
  overrides: ClientOverrides = {},
): KinesisClient {
  if (overrides.kinesis) return overrides.kinesis(region);
  return new KinesisClient({
    region,
    ...(aws.kinesisEndpoint ? { endpoint: aws.kinesisEndpoint } : {}),
    requestHandler: requestHandler(),
    maxAttempts: 1,
  });
}
