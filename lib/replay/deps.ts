/**
 * The clients a replay needs, built once: SQS for the queue, S3 for the failures bucket, and one
 * Kinesis client per region a dead letter names (a relay target may live in another region).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ClientOverrides } from '../aws/clients';
import { createKinesisClient } from '../aws/kinesisClient';
import { createS3Client } from '../aws/s3Client';
import { createSqsClient } from '../aws/sqsClient';
import type { AwsConfig } from '../config';
import { streamResolver } from '../kinesis/streamRef';
import type { ReplayDeps } from './replayQueue';

/**
 * @example
 * const deps = replayDeps(readAwsConfig(process.env));
 */
export function replayDeps(aws: AwsConfig, clients: ClientOverrides = {}): ReplayDeps {
  const byRegion = new Map<string, KinesisClient>();
  return {
    sqs: createSqsClient(aws, clients),
    s3: createS3Client(aws, clients),
    kinesisFor: (region) => {
      let client = byRegion.get(region);
      if (!client) {
        client = createKinesisClient(aws, region, clients);
        byRegion.set(region, client);
      }
      return client;
    },
    resolveStream: streamResolver(aws),
  };
}
