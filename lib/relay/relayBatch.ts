/**
 * The relay: every record of a Kinesis batch onto each target stream, same data and partition key,
 * through the shared write path.
 *
 * What happens to each record:
 * - put on every target: done;
 * - refused by a target for a reason that can clear (throttling, a target stream missing or
 *   denied, the deadline): reported in `batchItemFailures`, so Lambda checkpoints before the lowest
 *   one and delivers it (and everything after it) again. Targets that already took those records
 *   get them twice; every event carries its eventId, so downstream writes stay idempotent;
 * - refused because it can never be put as it is (over the size limit, bad partition key): sent to
 *   the dead-letter queue with its payload (reason `relay-rejected`). If that send fails, the
 *   record is reported as failed too: it is retried, never dropped.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { putRecordsConcurrently } from '../kinesis/putConcurrently';
import type { KinesisRecord, PutFailure, StreamRef } from '../kinesis/putRecords';
import type { ShardRecord } from '../kinesis/shardRecord';

export interface RelayTarget {
  /** For logs and metrics, e.g. the stream ARN. */
  label: string;
  kinesis: KinesisClient;
  stream: StreamRef;
  /**
   * The target's calls in flight, kept for the container's life so what it learned of the target's
   * capacity carries from batch to batch (lib/kinesis/adaptiveLimit.ts). None: one call at a time.
   */
  limit?: AdaptiveLimit;
}

/** A record that will never go onto a target, with why. */
export interface RejectedRecord {
  record: ShardRecord;
  target: string;
  error: string;
}

export interface RelayOptions {
  targets: readonly RelayTarget[];
  /** Epoch ms by which every put must be done (the invocation's remaining time less a margin). */
  deadline: number;
  /** Sends never-puttable records to the DLQ; throws when it cannot. */
  deadLetter: (rejected: RejectedRecord[]) => Promise<void>;
}

export interface TargetReport {
  target: string;
  put: number;
  failed: number;
  rejected: number;
  calls: number;
  retriedEntries: number;
}

export interface RelayResult {
  response: KinesisStreamBatchResponse;
  /** Set when never-puttable records could not be dead-lettered (they are then in `batchItemFailures`). */
  deadLetterError: unknown;
  targets: TargetReport[];
}

/** Failure codes that mean the record itself can never be put (as opposed to the target or the moment). */
const RECORD_LEVEL_CODES = new Set(['RECORD_TOO_LARGE', 'INVALID_PARTITION_KEY']);

function toKinesisRecord(record: ShardRecord): KinesisRecord {
  return { data: record.data, partitionKey: record.partitionKey };
}

function isRecordLevel(failure: PutFailure): boolean {
  return RECORD_LEVEL_CODES.has(failure.code);
}

/**
 * @example
 * const { response } = await relayBatch(event.Records, { targets, deadline: Date.now() + 25_000, deadLetter });
 * return response;
 */
export async function relayBatch(records: readonly ShardRecord[], options: RelayOptions): Promise<RelayResult> {
  const input = records.map(toKinesisRecord);
  const outcomes = await Promise.all(
    options.targets.map(async (target) => ({
      target,
      result: await putRecordsConcurrently(target.kinesis, input, {
        stream: target.stream,
        deadline: options.deadline,
        concurrency: target.limit?.max ?? 1,
        ...(target.limit ? { limit: target.limit } : {}),
      }),
    })),
  );

  const retry = new Set<number>();
  // One dead letter per record, however many targets refused it.
  const refusals = new Map<number, { targets: string[]; errors: string[] }>();
  for (const { target, result } of outcomes) {
    for (const failure of result.failed) {
      if (isRecordLevel(failure)) {
        const refusal = refusals.get(failure.index) ?? { targets: [], errors: [] };
        refusal.targets.push(target.label);
        refusal.errors.push(`${target.label}: ${failure.code}: ${failure.message}`);
        refusals.set(failure.index, refusal);
      } else {
        retry.add(failure.index);
      }
    }
  }
  const rejected: RejectedRecord[] = [...refusals].map(([index, refusal]) => ({
    record: records[index] as ShardRecord,
    target: refusal.targets.join(','),
    error: refusal.errors.join('; '),
  }));

  let deadLetterError: unknown;
  if (rejected.length > 0) {
    try {
      await options.deadLetter(rejected);
    } catch (error) {
      // The DLQ would not take them: keep them in the stream for another try rather than lose them.
      deadLetterError = error;
      for (const index of refusals.keys()) retry.add(index);
    }
  }

  const batchItemFailures = [...retry]
    .sort((a, b) => a - b)
    .map((index) => ({ itemIdentifier: (records[index] as ShardRecord).sequenceNumber }));
  return {
    response: { batchItemFailures },
    deadLetterError,
    targets: outcomes.map(({ target, result }) => ({
      target: target.label,
      put: result.put,
      failed: result.failed.filter((f) => !isRecordLevel(f)).length,
      rejected: result.failed.filter(isRecordLevel).length,
      calls: result.calls,
      retriedEntries: result.retriedEntries,
    })),
  };
}
