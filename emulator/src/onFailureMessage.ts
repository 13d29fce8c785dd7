/**
 * Lambda's on-failure record for a Kinesis event source mapping, in AWS's exact shape and key
 * order (AWS Lambda developer guide, "Retain discarded batch records for a Kinesis Data Streams
 * event source"): metadata only, a range of one shard to re-read.
 *
 * As recorded against AWS (emulator/README.md, "Conformance"): a `RecordAgeExceeded` record has no
 * `responseContext` key at all, and counts at least one invocation even when its records expired
 * before any (`approximateInvokeCount` 1).
 */
import { randomUUID } from 'node:crypto';
import type { StreamRecord } from './streamRecord';

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The range of one shard that failed: `startSequenceNumber` to `endSequenceNumber`, inclusive. */
export interface KinesisBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

export interface OnFailureMessage {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    /** Invocations of this exact (sub)batch. */
    approximateInvokeCount: number;
  };
  /** Absent when the records aged out (`RecordAgeExceeded`), as AWS sends it. */
  responseContext?: {
    statusCode: number;
    executedVersion: string;
    /** 'Unhandled' after a throw or timeout; null when the function returned (partial failures). */
    functionError: 'Unhandled' | null;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: KinesisBatchInfo;
}

export interface FailedBatch {
  /** In sequence order, all from one shard. */
  records: readonly StreamRecord[];
  condition: FailureCondition;
  /** Invocations of this exact (sub)batch: 1 + its retries (0 when it expired before any; sent as 1). */
  invokeCount: number;
  functionError: 'Unhandled' | null;
}

/**
 * @example
 * const body = JSON.stringify(buildOnFailureMessage(failed, { functionArn, streamArn }));
 */
export function buildOnFailureMessage(
  failed: FailedBatch,
  target: { functionArn: string; streamArn: string },
  now: Date = new Date(),
): OnFailureMessage {
  const first = failed.records[0];
  const last = failed.records[failed.records.length - 1];
  if (!first || !last) throw new Error('an on-failure record needs at least one record');
  const aged = failed.condition === 'RecordAgeExceeded';
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: target.functionArn,
      condition: failed.condition,
      approximateInvokeCount: aged ? Math.max(1, failed.invokeCount) : failed.invokeCount,
    },
    // Built in AWS's key order; the key is left out, not set to undefined, when the records aged out.
    ...(aged
      ? {}
      : { responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: failed.functionError } }),
    version: '1.0',
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: failed.records.length,
      streamArn: target.streamArn,
    },
  };
}
