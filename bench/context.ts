/**
 * What the in-process rows share: the local services, clients on them, and a progress line writer.
 * Rows 1-3 run in this process against services started here; row 4 runs the stack in a child.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '../lib/config';

export interface ServiceEndpoints {
  kinesisEndpoint: string;
  sqsEndpoint: string;
  /** The local SSM stand-in, where the handlers read the API key. */
  ssmEndpoint: string;
  databaseUrl: string;
}

export interface BenchContext {
  services: ServiceEndpoints;
  aws: AwsConfig;
  kinesis: KinesisClient;
  sqs: SQSClient;
  /** A progress line on stderr. */
  log: (line: string) => void;
}

/** The Lambda region the rows pretend to run in. */
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';

/**
 * @example
 * streamArn('bench-relay-target'); // 'arn:aws:kinesis:us-east-1:000000000000:stream/bench-relay-target'
 */
export function streamArn(name: string): string {
  return `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/${name}`;
}
