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
import { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { DEFAULT_PUT_CONCURRENCY } from '../kinesis/putConcurrently';
import { streamResolver } from '../kinesis/streamRef';
import type { ReplayDeps } from './replayQueue';

/**
 * @example
 * const deps = replayDeps(readAwsConfig(process.env)); // up to 8 PutRecords calls in flight
 */
export function replayDeps(
  aws: AwsConfig,
  clients: ClientOverrides = {},
  putConcurrency: number = DEFAULT_PUT_CONCURRENCY,
): ReplayDeps {
  const byRegion = new Map<string, KinesisClient>();
  return {
    // One limit for the run: what it learns of the stream's room holds from message to message.
    putLimit: new AdaptiveLimit(putConcurrency),
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
