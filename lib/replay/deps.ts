/**
 * The clients a replay needs, built once: SQS for the queue, and one Kinesis client per region a
 * dead letter names (a relay target may live in another region).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../aws/kinesisClient';
import { createSqsClient } from '../aws/sqsClient';
import type { AwsConfig } from '../config';
import type { ReplayDeps } from './replayQueue';

/**
 * @example
 * const deps = replayDeps(readAwsConfig(process.env));
 */
export function replayDeps(aws: AwsConfig): ReplayDeps {
  const byRegion = new Map<string, KinesisClient>();
  return {
    sqs: createSqsClient(aws),
    kinesisFor: (region) => {
      const key = region ?? aws.region;
      let client = byRegion.get(key);
      if (!client) {
        client = createKinesisClient(aws, key);
        byRegion.set(key, client);
      }
      return client;
    },
    localEndpoint: aws.kinesisEndpoint !== undefined,
  };
}
