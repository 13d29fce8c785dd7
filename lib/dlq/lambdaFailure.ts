/**
 * Lambda's on-failure record for a Kinesis event source mapping (sent once retries or record age run
 * out). Metadata only: the records must be re-read from the shard, `startSequenceNumber` to
 * `endSequenceNumber` inclusive, while the stream still retains them.
 */
export interface KinesisBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

export interface LambdaFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    /** e.g. `RetryAttemptsExhausted`, `RecordAgeExceeded`. */
    condition: string;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    /** Can be null (e.g. when the batch failed by record age rather than a function error). */
    functionError: string | null;
  };
  version: string;
  timestamp: string;
  KinesisBatchInfo: KinesisBatchInfo;
}
