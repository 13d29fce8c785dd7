/** Secrets Manager: database credentials on deployed stages (DATABASE_SECRET_ARN), fetched once per cold start. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsConfig } from '../config';
import { requestHandler } from './requestHandler';

/**
 * `maxAttempts: 3` (the SDK's standard retries) on purpose: one call per cold start, which nothing
 * of ours retries.
 *
 * @example
 * const secrets = createSecretsManagerClient(readAwsConfig(process.env));
 */
export function createSecretsManagerClient(aws: AwsConfig): SecretsManagerClient {
  return new SecretsManagerClient({ region: aws.region, requestHandler: requestHandler(), maxAttempts: 3 });
}
