/** The SSM client the API key store is read with, built once per container and passed into `lib/`. */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsConfig } from '../config';
import type { ClientOverrides } from './clients';
import { requestHandler } from './requestHandler';

/**
 * Two attempts at most: a key refresh that fails keeps the last good set (lib/auth/keyStore.ts), so
 * waiting through the SDK's default three attempts would only hold up the request that refreshes.
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
    requestHandler: requestHandler(),
  });
}
