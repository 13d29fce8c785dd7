/** The SSM client the API key store is read with, built once per container and passed into `lib/`. */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsConfig } from '../config';
import type { ClientOverrides } from './clients';
import { requestHandler } from './requestHandler';

/** A page of keys that has not come in this long will not: the call fails and the refresh with it. */
const SSM_REQUEST_TIMEOUT_MS = 2_000;

/**
 * Two attempts at most, each bounded: a key refresh that fails keeps the last good set
 * (lib/auth/keyStore.ts), so waiting through the SDK's default three attempts, or on a connection
 * that stalled, would only hold up the requests that wait on it.
 *
 * @example
 * const ssm = createSsmClient(readAwsConfig(process.env));
 */
export function createSsmClient(aws: AwsConfig, overrides: ClientOverrides = {}): SSMClient {
  if (overrides.ssm) return overrides.ssm();
  return new SSMClient({
    region: aws.region,
    ...(aws.ssmEndpoint ? { endpoint: aws.ssmEndpoint } : {}),
    maxAttempts: 2,
    requestHandler: requestHandler(SSM_REQUEST_TIMEOUT_MS),
  });
}
