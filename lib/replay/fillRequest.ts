/**
 * The fill-from-checkpoints mode, built from the environment (the same settings the consumer has):
 * clients and the database connection are made once and kept, like any function's, so a warm replay
 * function does not open new sockets on every invocation.
 */
import { createKinesisClient } from '../aws/kinesisClient';
import { createSqsClient } from '../aws/sqsClient';
import { integer, readAwsConfig, requiredString, type Env } from '../config';
import type { ConsumerDeps } from '../consumer/processBatch';
import { readDatabaseConfig } from '../db/config';
import { createDatabaseConnection } from '../db/createConnection';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../dlq/recordMessage';
import { parseStream, streamRef } from '../kinesis/streamRef';
import { fillFromCheckpoints, type FillOptions, type FillReport } from './fillFromCheckpoints';
import type { ReplayRequest } from './options';

export interface FillRunner {
  run(request: ReplayRequest, deadline: number, onProgress?: (report: FillReport) => void): Promise<FillReport>;
  /** Ends the database connection (a CLI run; a function keeps it for the container's life). */
  close(): Promise<void>;
}

/**
 * @example
 * const filler = createFillRunner(process.env); // once
 * const report = await filler.run({ fromCheckpoints: true, rewindSeconds: 600 }, deadline);
 */
export function createFillRunner(env: Env): FillRunner {
  const aws = readAwsConfig(env);
  const streamArn = requiredString(env, 'TELEMETRY_STREAM_ARN');
  const stream = parseStream(streamArn);
  const db = createDatabaseConnection(readDatabaseConfig(env), aws, 'telemetry-replay');
  const kinesis = createKinesisClient(aws, stream.region ?? aws.region);
  const consumer: ConsumerDeps = {
    db,
    sqs: createSqsClient(aws),
    dlqUrl: requiredString(env, 'DLQ_URL'),
    maxMessageBytes: integer(env, 'DLQ_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1_024, 1_048_576),
    functionName: 'replay',
  };
  const base: Omit<FillOptions, 'deadline'> = {
    stream: streamRef(stream, aws.kinesisEndpoint !== undefined),
    streamArn,
    region: stream.region ?? aws.region,
  };
  return {
    run: (request, deadline, onProgress) =>
      fillFromCheckpoints(kinesis, consumer, {
        ...base,
        ...(request.rewindSeconds ? { rewindSeconds: request.rewindSeconds } : {}),
        deadline,
        ...(onProgress ? { onProgress } : {}),
      }),
    close: () => db.close(),
  };
}
