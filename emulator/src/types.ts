/**
 * The public shapes of the Kinesis event-source-mapping emulator: what it is started with (the
 * function, the stream, the mapping as Lambda knows it) and what it reports.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

/** A Lambda-style Kinesis handler, exactly as the real functions export it. */
export type KinesisBatchHandler = (
  event: KinesisStreamEvent,
  context: Context,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler may return nothing, as Lambda allows
) => Promise<KinesisStreamBatchResponse | void | null | undefined>;

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** An SQS queue as the on-failure destination: the on-failure record, metadata only. */
export interface SqsOnFailureTarget {
  queueArn: string;
  /** Looked up with GetQueueUrl (queue name from the ARN) when not given. */
  queueUrl?: string;
}

/**
 * An S3 bucket as the on-failure destination: the on-failure record plus `payload.Records`, the
 * failed batch's records as the function received them, one object per failed batch.
 */
export interface S3OnFailureTarget {
  /** `arn:aws:s3:::<bucket>`. */
  bucketArn: string;
}

/** Where Lambda sends its on-failure record. SQS and S3 are emulated (not SNS or Kafka). */
export type OnFailureTarget = SqsOnFailureTarget | S3OnFailureTarget;

/** The event source mapping's settings, with AWS's names and meanings. */
export interface MappingOptions {
  /** 1-10,000. */
  batchSize: number;
  /** 0-300; 0 invokes as soon as records arrive. */
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  /** Epoch seconds; required with AT_TIMESTAMP. */
  startingPositionTimestamp?: number;
  /** -1 (retry until the records expire) or 0-10,000. */
  maximumRetryAttempts: number;
  /**
   * -1 (never) or a number of seconds. AWS takes 60-604,800; the emulator also takes smaller values
   * so a test need not wait a minute (`mappingFromServerlessEvent` keeps AWS's range).
   */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** 1-10 concurrent batches per shard; a partition key is only ever in one of them. */
  parallelizationFactor: number;
  /** `functionResponseType: ReportBatchItemFailures`. */
  reportBatchItemFailures: boolean;
  onFailure?: OnFailureTarget;
}

export interface FunctionTarget {
  /** The deployed name, e.g. `telemetry-pipeline-local-consumer`. */
  name: string;
  arn: string;
  handler: KinesisBatchHandler;
  /** The function's `timeout`; a handler still running after it is a function error. */
  timeoutMs: number;
  /** Reported as `context.memoryLimitInMB`. Default 1024. */
  memorySizeMb?: number;
  /**
   * `invokeIdentityArn` in each record: the function's execution role, as AWS sends it. Default
   * `arn:aws:iam::<account>:role/<function name>-role`, a stand-in.
   */
  roleArn?: string;
}

/** Pacing knobs. The defaults follow AWS; tests shorten them. */
export interface EsmTiming {
  /** Wait between GetRecords calls on a shard that returned nothing. Default 500, at least 200 (5 calls/s per shard). */
  pollIntervalMs?: number;
  /** How often ListShards looks for new shards (splits, merges). Default 1,000. */
  shardDiscoveryIntervalMs?: number;
  /**
   * Backoff before retrying a failed batch: base * 2^retry, capped. Defaults 1,000 and 10,000, near
   * the cadence AWS was recorded retrying at (src/timing.ts).
   */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Wait between attempts to send an on-failure record that could not be sent. Default 1,000. */
  onFailureRetryDelayMs?: number;
}

export interface StartEsmOptions {
  kinesis: KinesisClient;
  /** Needed when `mapping.onFailure` is an SQS queue. */
  sqs?: SQSClient;
  /** Needed when `mapping.onFailure` is an S3 bucket. */
  s3?: S3Client;
  /** The mapping's UUID, in S3 on-failure object keys. Default: a random one. */
  uuid?: string;
  /** kinesalite knows no StreamARN parameters: calls name the stream; the ARN goes into events. */
  stream: { name: string; arn: string };
  fn: FunctionTarget;
  mapping: MappingOptions;
  region: string;
  /**
   * Per shard, the checkpoint a previous run reached (its `stats.shards[].checkpoint`): reading
   * resumes just after it, as Lambda resumes from its stored checkpoint, instead of at
   * `startingPosition`.
   */
  resumeFrom?: Readonly<Record<string, string>>;
  timing?: EsmTiming;
  log?: (line: string) => void;
}

export type ShardState = 'waiting-for-parents' | 'reading' | 'draining' | 'finished' | 'skipped';

export interface ShardStats {
  shardId: string;
  state: ShardState;
  /** Highest sequence number up to which every record is done (processed or sent to on-failure). */
  checkpoint: string | undefined;
  /** Records read and not yet done. */
  pendingRecords: number;
}

export interface EsmStats {
  invocations: number;
  /** Records passed to the function, each repeat counted. */
  recordsDelivered: number;
  /** Records the function processed without reporting a failure. */
  recordsSucceeded: number;
  /** Records behind a checkpoint: succeeded, sent to on-failure, or discarded. */
  recordsCheckpointed: number;
  /** Throws, timeouts and malformed partial-failure responses. */
  functionErrors: number;
  timeouts: number;
  /** Responses naming failed items. */
  partialFailures: number;
  retries: number;
  bisections: number;
  onFailureMessages: number;
  recordsSentToOnFailure: number;
  onFailureSendErrors: number;
  /** Records given up on with no on-failure destination configured (AWS drops them too). */
  recordsDiscarded: number;
  getRecordsCalls: number;
  getRecordsErrors: number;
  /** Age of the last record of the last batch when it was invoked (Lambda's IteratorAge metric). */
  iteratorAgeMs: number;
  /** Age of the oldest record read and not yet done: how far behind the mapping is now. */
  lagMs: number;
  /** Highest number of invocations in flight at once. */
  maxConcurrentInvocations: number;
  shards: ShardStats[];
}

export interface DrainOptions {
  /** Reject after this long. Default 30,000. */
  timeoutMs?: number;
}

export interface EventSourceMapping {
  /** A snapshot of the counters. */
  readonly stats: EsmStats;
  /**
   * Resolves once every record on the stream when it was called has been processed or sent to the
   * on-failure destination (all shards read to their tip after the call, nothing pending).
   */
  drained(options?: DrainOptions): Promise<void>;
  /** Stops polling, lets in-flight invocations finish (or time out), and resolves. */
  stop(): Promise<void>;
}
