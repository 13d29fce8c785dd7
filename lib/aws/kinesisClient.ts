/**
 * Kinesis clients, built once per container and passed into `lib/` (one module per AWS client, so a
 * bundle loads only the SDK clients its function uses: each adds to the cold start).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsConfig } from '../config';
import { requestHandler } from './requestHandler';

/**
 * Called with every Kinesis client built here. Only for fault-injection tests that run the real
 * handlers (which build their own clients): kinesalite never throttles or fails part of a call, so
 * such a test adds an SDK middleware that does. Empty in production.
 */
export const kinesisClientHooks: ((client: KinesisClient) => void)[] = [];

/**
 * @example
 * const kinesis = createKinesisClient(readAwsConfig(process.env));
 */
export function createKinesisClient(aws: AwsConfig, region: string = aws.region): KinesisClient {
  const client = new KinesisClient({
    region,
    ...(aws.kinesisEndpoint ? { endpoint: aws.kinesisEndpoint } : {}),
    requestHandler: requestHandler(),
  });
  for (const hook of kinesisClientHooks) hook(client);
  return client;
}
