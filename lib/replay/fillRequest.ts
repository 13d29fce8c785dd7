/**
 * Runs the fill-from-checkpoints mode from a replay request: builds the consumer's dependencies from
 * the environment (the same settings the consumer has) and fills every shard of the telemetry stream.
 */
import { createKinesisClient } from '../aws/kinesisClient';
import { createSqsClient } from '../aws/sqsClient';
import { integer, readAwsConfig, requiredString, type Env } from '../config';
import { readDatabaseConfig } from '../db/config';
import { createDatabaseConnection } from '../db/createConnection';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../dlq/recordMessage';
import { parseStream, streamRef } from '../kinesis/streamRef';
import { fillFromCheckpoints, type FillReport } from './fillFromCheckpoints';
import type { ReplayRequest } from './options';

/**
 * @example
 * const report = await fillFromEnv(process.env, { fromCheckpoints: true, rewindSeconds: 600 }, deadline);
 */
export async function fillFromEnv(env: Env, request: ReplayRequest, deadline: number, onProgress?: (report: FillReport) => void): Promise<FillReport> {
  const aws = readAwsConfig(env);
  const database = readDatabaseConfig(env);
  const streamArn = requiredString(env, 'TELEMETRY_STREAM_ARN');
  const stream = parseStream(streamArn);
  const db = createDatabaseConnection(database, aws, 'telemetry-replay');
  try {
    return await fillFromCheckpoints(
      createKinesisClient(aws, stream.region ?? aws.region),
      {
        db,
        sqs: createSqsClient(aws),
        dlqUrl: requiredString(env, 'DLQ_URL'),
        maxMessageBytes: integer(env, 'DLQ_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1_024, 1_048_576),
        functionName: 'replay',
      },
      {
        stream: streamRef(stream, aws.kinesisEndpoint !== undefined),
        streamArn,
        region: stream.region ?? aws.region,
        ...(request.rewindSeconds ? { rewindSeconds: request.rewindSeconds } : {}),
        deadline,
        ...(onProgress ? { onProgress } : {}),
      },
    );
  } finally {
    await db.close();
  }
}
