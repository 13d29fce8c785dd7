/**
 * Lambda's error handling for one stream batch: retries, bisection, partial-batch responses, record
 * age, and the hand-off to the on-failure destination. Every record of the batch ends either done
 * (succeeded, or handed to `giveUp`) or, when the mapping stops part-way, left un-checkpointed
 * (nothing is marked done that was not processed or sent on).
 *
 * Two rules here are models of what AWS was recorded doing, not documented (emulator/README.md):
 * - a partial failure that moves the checkpoint (some records before the lowest failed one
 *   succeeded) starts the rest as a new batch with its retries unused; one that moves nothing uses a
 *   retry. It is the one model that fits every recording (a record failing in a batch of 3 with
 *   maximumRetryAttempts 3 is delivered 5 times, its on-failure record counting 4);
 * - records that bisection narrowed down one by one and that failed one after another, with no
 *   success between them, go on as one range (AWS: the on-failure `batchSize` "could be greater
 *   than 1" because Lambda consolidates failed records' metadata).
 */
import { judgeResponse } from './batchResponse';
import type { InvocationResult } from './invokeHandler';
import type { FailedBatch } from './onFailureMessage';
import type { StreamRecord } from './streamRecord';
import type { MappingOptions } from './types';

export interface BatchCounters {
  functionErrors: number;
  timeouts: number;
  partialFailures: number;
  retries: number;
  bisections: number;
}

export interface BatchRunnerDeps {
  mapping: MappingOptions;
  invoke(records: readonly StreamRecord[]): Promise<InvocationResult>;
  /** Records the function processed. */
  succeeded(records: readonly StreamRecord[]): void;
  /** Sends the on-failure record and marks the records done; false when stopped before it was sent. */
  giveUp(failed: FailedBatch): Promise<boolean>;
  /** Interruptible by stop(). */
  sleep(ms: number): Promise<void>;
  isStopping(): boolean;
  counters: BatchCounters;
  retryDelayMs(retry: number): number;
  log?: (line: string) => void;
}

interface SubBatch {
  records: readonly StreamRecord[];
  /** Retries used so far; splitting a batch does not use any (AWS). */
  retries: number;
  /** Invocations of exactly these records so far (for approximateInvokeCount). */
  invocations: number;
  lastError: 'Unhandled' | null;
  delayMs: number;
}

export type BatchOutcome = 'done' | 'stopped';

function expiredPrefix(records: readonly StreamRecord[], maxAgeSeconds: number, now: number): number {
  if (maxAgeSeconds < 0) return 0;
  const cutoff = now - maxAgeSeconds * 1000;
  let count = 0;
  while (count < records.length && (records[count] as StreamRecord).arrivalMs < cutoff) count += 1;
  return count;
}

/**
 * @example
 * const outcome = await runBatch(batch, deps); // 'stopped' leaves the unfinished part un-checkpointed
 */
export async function runBatch(batch: readonly StreamRecord[], deps: BatchRunnerDeps): Promise<BatchOutcome> {
  const { mapping, counters } = deps;
  // Bisected single records that failed in a row, held back to go on as one range (see above).
  let pending: FailedBatch | undefined;
  const flush = async (): Promise<boolean> => {
    const held = pending;
    pending = undefined;
    return held ? deps.giveUp(held) : true;
  };
  const giveUp = async (failed: FailedBatch): Promise<boolean> => {
    if (!(await flush())) return false;
    return deps.giveUp(failed);
  };
  const succeeded = async (records: readonly StreamRecord[]): Promise<boolean> => {
    if (!(await flush())) return false;
    deps.succeeded(records);
    return true;
  };
  const exhausted = (retries: number): boolean =>
    mapping.maximumRetryAttempts >= 0 && retries >= mapping.maximumRetryAttempts;
  // A stack: the first half of a split is pushed last so it runs first, keeping shard order.
  const work: SubBatch[] = [{ records: batch, retries: 0, invocations: 0, lastError: null, delayMs: 0 }];

  const retryLater = (item: SubBatch, records: readonly StreamRecord[], lastError: 'Unhandled' | null): void => {
    counters.retries += 1;
    work.push({
      records,
      retries: item.retries + 1,
      invocations: item.invocations,
      lastError,
      delayMs: deps.retryDelayMs(item.retries),
    });
  };

  const failed = async (item: SubBatch, lastError: 'Unhandled' | null): Promise<boolean> => {
    if (mapping.bisectBatchOnFunctionError && item.records.length > 1) {
      counters.bisections += 1;
      const middle = Math.ceil(item.records.length / 2);
      const half = (records: readonly StreamRecord[]): SubBatch => ({
        records,
        retries: item.retries,
        invocations: 0,
        lastError,
        delayMs: 0,
      });
      work.push(half(item.records.slice(middle)), half(item.records.slice(0, middle)));
      return true;
    }
    if (exhausted(item.retries)) {
      const failure: FailedBatch = {
        records: item.records,
        condition: 'RetryAttemptsExhausted',
        invokeCount: item.invocations,
        functionError: lastError,
      };
      if (!(mapping.bisectBatchOnFunctionError && item.records.length === 1)) return giveUp(failure);
      pending = pending
        ? {
            ...pending,
            records: [...pending.records, ...item.records],
            invokeCount: Math.max(pending.invokeCount, failure.invokeCount),
          }
        : failure;
      return true;
    }
    retryLater(item, item.records, lastError);
    return true;
  };

  // Bounded: every pass invokes or gives up on records, and retries end at the retry or age limit
  // (both may be infinite in AWS too; stop() ends the loop then).
  while (work.length > 0) {
    const item = work.pop() as SubBatch;
    if (item.delayMs > 0) await deps.sleep(item.delayMs);
    if (deps.isStopping()) return 'stopped';

    const expired = expiredPrefix(item.records, mapping.maximumRecordAgeInSeconds, Date.now());
    if (expired > 0) {
      const sent = await giveUp({
        records: item.records.slice(0, expired),
        condition: 'RecordAgeExceeded',
        invokeCount: item.invocations,
        functionError: item.lastError,
      });
      if (!sent) return 'stopped';
      item.records = item.records.slice(expired);
      if (item.records.length === 0) continue;
    }

    const result = await deps.invoke(item.records);
    item.invocations += 1;
    if (!result.ok) {
      counters.functionErrors += 1;
      if (result.kind === 'timeout') counters.timeouts += 1;
      deps.log?.(`function error on ${item.records.length} record(s) (retry ${item.retries}): ${result.message}`);
      if (!(await failed(item, 'Unhandled'))) return 'stopped';
      continue;
    }

    const verdict = judgeResponse(result.response, item.records, mapping.reportBatchItemFailures);
    if (verdict.kind === 'success') {
      if (!(await succeeded(item.records))) return 'stopped';
    } else if (verdict.kind === 'malformed') {
      // The function returned normally, so Lambda reports no functionError, yet the batch failed whole.
      counters.functionErrors += 1;
      deps.log?.(`malformed batchItemFailures response, whole batch failed: ${verdict.reason}`);
      if (!(await failed(item, null))) return 'stopped';
    } else {
      counters.partialFailures += 1;
      if (!(await succeeded(item.records.slice(0, verdict.firstFailedIndex)))) return 'stopped';
      const rest = item.records.slice(verdict.firstFailedIndex);
      if (verdict.firstFailedIndex > 0) {
        // The checkpoint moved: what is left comes again as a new batch, its retries unused (see above).
        work.push({ records: rest, retries: 0, invocations: 0, lastError: null, delayMs: 0 });
      } else if (exhausted(item.retries)) {
        const sent = await giveUp({
          records: rest,
          condition: 'RetryAttemptsExhausted',
          invokeCount: item.invocations,
          functionError: null,
        });
        if (!sent) return 'stopped';
      } else {
        retryLater(item, rest, null);
      }
    }
  }
  return (await flush()) ? 'done' : 'stopped';
}
