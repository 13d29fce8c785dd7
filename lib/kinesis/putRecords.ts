/**
 * The one Kinesis write path, shared by ingest, relay and replay: any number of records in
 * PutRecords calls of at most 500 records and 5 MiB, partial failures retried with backoff within
 * the caller's deadline, per-partition-key order kept, and an exact account of what was not put.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { classifyAwsError, isRetryableCode } from '../retry/awsErrors';
import { KINESIS_RETRY, retryDelay, sleep, type RetryPolicy } from '../retry/policy';
import { type CallGate, type CallOutcomeKind, THROTTLE_CODES } from './adaptiveLimit';
import { MAX_BYTES_PER_PUT, MAX_PARTITION_KEY_LENGTH, MAX_RECORDS_PER_PUT, MAX_RECORD_BYTES } from './limits';

export interface KinesisRecord {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string;
}

/** Name for a stream in this account and region; ARN for one elsewhere (cross-account needs the ARN). */
export type StreamRef = { streamName: string } | { streamArn: string };

export interface PutRecordsOptions {
  stream: StreamRef;
  /** Epoch ms after which no further call or retry starts (e.g. a Lambda's remaining time less a margin). */
  deadline: number;
  /**
   * Backoff between rounds of retries of failed entries (lib/retry/policy.ts); `maxAttempts` counts
   * the first call. Default `KINESIS_RETRY`: 50 ms doubling to 2 s, until the deadline.
   */
  retry?: Partial<RetryPolicy>;
  /** Called before each retry round, for metrics and logs. */
  onRetry?: (retry: RetryInfo) => void;
  /**
   * Asked before each call, told how it went (lib/kinesis/adaptiveLimit.ts): what bounds the calls
   * in flight across concurrent writers. None: this writer's calls are its only ones.
   */
  gate?: CallGate;
}

export interface RetryInfo {
  round: number;
  /** Entries that failed in the last call. */
  failed: number;
  /** Entries already put that are re-put behind a failed entry of the same partition key. */
  resent: number;
  codes: string[];
  delayMs: number;
}

export interface PutFailure {
  /** Index into the records passed in. */
  index: number;
  code: string;
  message: string;
  /** False when retrying can never help (too large, access denied, no such stream). */
  retryable: boolean;
}

export interface PutRecordsResult {
  /** Records that are on the stream. */
  put: number;
  /** Records that are not, in index order. */
  failed: PutFailure[];
  /** PutRecords calls made. */
  calls: number;
  /** Entries sent again after a failure (including re-puts kept in order behind them). */
  retriedEntries: number;
  /** Per input index: where the record landed, when it did. */
  placements: ({ shardId: string; sequenceNumber: string } | undefined)[];
}

function entrySize(record: KinesisRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/** Why a record can never be put, checked before any call; undefined when it can. */
export function recordProblem(record: KinesisRecord): Omit<PutFailure, 'index'> | undefined {
  const keyLength = [...record.partitionKey].length;
  if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_LENGTH) {
    return {
      code: 'INVALID_PARTITION_KEY',
      message: `partition key must be 1-${MAX_PARTITION_KEY_LENGTH} characters, got ${keyLength}`,
      retryable: false,
    };
  }
  const size = entrySize(record);
  if (size > MAX_RECORD_BYTES) {
    return {
      code: 'RECORD_TOO_LARGE',
      message: `record is ${size} bytes (data plus partition key); Kinesis takes at most ${MAX_RECORD_BYTES}`,
      retryable: false,
    };
  }
  return undefined;
}

/** Takes the longest prefix of `pending` that fits one PutRecords call. */
function takeChunk(records: readonly KinesisRecord[], pending: readonly number[]): number[] {
  const chunk: number[] = [];
  let bytes = 0;
  for (const index of pending) {
    const size = entrySize(records[index] as KinesisRecord);
    if (chunk.length === MAX_RECORDS_PER_PUT || (chunk.length > 0 && bytes + size > MAX_BYTES_PER_PUT)) break;
    chunk.push(index);
    bytes += size;
  }
  return chunk;
}

function toEntry(record: KinesisRecord): PutRecordsRequestEntry {
  return {
    Data: record.data,
    PartitionKey: record.partitionKey,
    ...(record.explicitHashKey ? { ExplicitHashKey: record.explicitHashKey } : {}),
  };
}

interface CallOutcome {
  /** Chunk positions that failed, with why. */
  failures: Map<number, Omit<PutFailure, 'index'>>;
  /** A failure that will fail every later call too (no such stream, access denied). */
  fatal: boolean;
}

function outcomeKind(outcome: CallOutcome): CallOutcomeKind {
  if (outcome.failures.size === 0) return 'ok';
  for (const failure of outcome.failures.values()) if (THROTTLE_CODES.has(failure.code)) return 'throttled';
  return 'failed';
}

async function putChunk(
  kinesis: KinesisClient,
  records: readonly KinesisRecord[],
  chunk: readonly number[],
  options: PutRecordsOptions,
  placements: PutRecordsResult['placements'],
): Promise<CallOutcome> {
  const failures = new Map<number, Omit<PutFailure, 'index'>>();
  const command = new PutRecordsCommand({
    ...('streamName' in options.stream
      ? { StreamName: options.stream.streamName }
      : { StreamARN: options.stream.streamArn }),
    Records: chunk.map((index) => toEntry(records[index] as KinesisRecord)),
  });
  try {
    // A call still running at the deadline is abandoned; its records count as failed (they may in
    // fact have landed: a duplicate is harmless downstream, a silent loss would not be).
    const response = await kinesis.send(command, {
      abortSignal: AbortSignal.timeout(Math.max(1, options.deadline - Date.now())),
    });
    const results = response.Records ?? [];
    chunk.forEach((index, position) => {
      const result = results[position];
      if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
        placements[index] = { shardId: result.ShardId, sequenceNumber: result.SequenceNumber };
      } else {
        const code = result?.ErrorCode ?? 'MissingResult';
        failures.set(position, {
          code,
          message: result?.ErrorMessage ?? 'no result for this entry',
          retryable: isRetryableCode(code),
        });
      }
    });
    return { failures, fatal: false };
  } catch (error) {
    const failure = classifyAwsError(error);
    for (let position = 0; position < chunk.length; position += 1) failures.set(position, failure);
    return { failures, fatal: !failure.retryable };
  }
}

/**
 * Puts `records` on a stream, in order, and says exactly which were not put.
 *
 * Ordering: Kinesis may accept a later entry of a partition key in the same call in which it
 * rejects an earlier one. When that happens the later entries of that key are put again after the
 * failed one, so the last copy of each record on the shard is in the caller's order; the extra
 * copy is a duplicate that the consumer's eventId dedup drops. Across calls nothing of a key is sent
 * while an earlier record of it is waiting for a retry: every retry round resends from the oldest
 * unput record forward.
 *
 * @param records in the order their partition keys must keep; each at most 1 MiB with its key.
 * @param options.deadline no call or retry starts after it, and a call still running then is
 *   abandoned: its records count as failed though they may have landed (a duplicate the consumer
 *   drops, never a silent loss).
 * @returns `failed` names every record not certainly on the stream, by input index, with the last
 *   error seen for it and whether retrying could help; `put + failed.length === records.length`.
 * @throws never for a Kinesis failure: every one is reported in `failed`.
 * @example
 * const result = await putRecords(kinesis, records, { stream: { streamName: 'telemetry' }, deadline: Date.now() + 5_000 });
 * if (result.failed.length) answer503(result.failed);
 */
export async function putRecords(
  kinesis: KinesisClient,
  records: readonly KinesisRecord[],
  options: PutRecordsOptions,
): Promise<PutRecordsResult> {
  const placements: PutRecordsResult['placements'] = new Array(records.length).fill(undefined);
  const failed = new Map<number, PutFailure>();
  let pending: number[] = [];
  records.forEach((record, index) => {
    const problem = recordProblem(record);
    if (problem) failed.set(index, { index, ...problem });
    else pending.push(index);
  });

  const policy: RetryPolicy = { ...KINESIS_RETRY, ...options.retry };
  let calls = 0;
  let retriedEntries = 0;
  let round = 0;
  const lastFailure = new Map<number, Omit<PutFailure, 'index'>>();

  const giveUp = (code: string, message: string): void => {
    for (const index of pending) {
      if (placements[index]) continue; // put once already, only its in-order copy is missing
      failed.set(index, { index, ...(lastFailure.get(index) ?? { code, message, retryable: true }) });
    }
    pending = [];
  };

  while (pending.length > 0) {
    if (Date.now() >= options.deadline) {
      giveUp('DEADLINE_EXCEEDED', 'not put before the deadline');
      break;
    }
    const permit = options.gate ? await options.gate.acquire(options.deadline) : undefined;
    if (options.gate && !permit) {
      giveUp('DEADLINE_EXCEEDED', 'not put before the deadline (waiting for a call slot)');
      break;
    }
    const chunk = takeChunk(records, pending);
    const rest = pending.slice(chunk.length);
    calls += 1;
    const outcome = await putChunk(kinesis, records, chunk, options, placements);
    permit?.release(outcomeKind(outcome));
    if (outcome.failures.size === 0) {
      pending = rest;
      continue;
    }

    // Entries to send again, in index order: the failed ones, and the ones of the same key that
    // were accepted after a failed one (see "Ordering" above).
    const again: number[] = [];
    const blockedKeys = new Set<string>();
    let nonRetryable = 0;
    chunk.forEach((index, position) => {
      const failure = outcome.failures.get(position);
      const key = (records[index] as KinesisRecord).partitionKey;
      if (failure && !failure.retryable) {
        failed.set(index, { index, ...failure });
        nonRetryable += 1;
      } else if (failure) {
        lastFailure.set(index, failure);
        placements[index] = undefined;
        blockedKeys.add(key);
        again.push(index);
      } else if (blockedKeys.has(key)) {
        again.push(index);
      }
    });
    pending = [...again, ...rest];
    if (outcome.fatal) {
      // The same call would fail the same way for everything still pending (no such stream, no access).
      const fatal = outcome.failures.get(0) as Omit<PutFailure, 'index'>;
      for (const index of pending) failed.set(index, { index, ...fatal });
      pending = [];
      break;
    }
    if (again.length === 0) continue;

    round += 1;
    if (round >= policy.maxAttempts) {
      giveUp('RETRIES_EXHAUSTED', 'retries exhausted');
      break;
    }
    const delayMs = retryDelay(policy, round);
    if (Date.now() + delayMs >= options.deadline) {
      giveUp('DEADLINE_EXCEEDED', 'not put before the deadline');
      break;
    }
    const failedNow = outcome.failures.size - nonRetryable;
    options.onRetry?.({
      round,
      failed: failedNow,
      resent: again.length - failedNow,
      codes: [...new Set([...outcome.failures.values()].map((failure) => failure.code))],
      delayMs,
    });
    retriedEntries += again.length;
    await sleep(delayMs);
  }

  const failures = [...failed.values()].sort((a, b) => a.index - b.index);
  return { put: records.length - failures.length, failed: failures, calls, retriedEntries, placements };
}
