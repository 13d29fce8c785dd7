/**
 * Small real Lambda-style handlers for the event-source-mapping emulator's tests, and a probe that
 * wraps any of them to record what each invocation saw and how many ran at once.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { KinesisBatchHandler } from '../../emulator/src';

export interface SeenBatch {
  data: string[];
  sequenceNumbers: string[];
  partitionKeys: string[];
  remainingMsAtStart: number;
  /** How the invocation ended. */
  outcome: 'returned' | 'threw';
}

export const dataOf = (event: KinesisStreamEvent): string[] =>
  event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString('utf8'));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records every invocation of the handler it wraps, in start order, and the peak concurrency. */
export class HandlerProbe {
  readonly batches: SeenBatch[] = [];
  readonly events: KinesisStreamEvent[] = [];
  readonly contexts: Context[] = [];
  maxInFlight = 0;
  /** Partition keys that were in two concurrent invocations at once (must stay empty). */
  readonly overlappingKeys: string[] = [];
  private inFlight = 0;
  private readonly keysInFlight = new Map<string, number>();

  wrap(inner: KinesisBatchHandler): KinesisBatchHandler {
    return async (event, context) => {
      const batch: SeenBatch = {
        data: dataOf(event),
        sequenceNumbers: event.Records.map((record) => record.kinesis.sequenceNumber),
        partitionKeys: event.Records.map((record) => record.kinesis.partitionKey),
        remainingMsAtStart: context.getRemainingTimeInMillis(),
        outcome: 'returned',
      };
      this.batches.push(batch);
      this.events.push(event);
      this.contexts.push(context);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const keys = [...new Set(batch.partitionKeys)];
      for (const key of keys) {
        if (this.keysInFlight.get(key)) this.overlappingKeys.push(key);
        this.keysInFlight.set(key, (this.keysInFlight.get(key) ?? 0) + 1);
      }
      try {
        return await inner(event, context);
      } catch (error) {
        batch.outcome = 'threw';
        throw error;
      } finally {
        this.inFlight -= 1;
        for (const key of keys) this.keysInFlight.set(key, (this.keysInFlight.get(key) ?? 1) - 1);
      }
    };
  }

  /** Data of the records in batches that returned (for a handler without partial failures: the successes). */
  returnedData(): string[] {
    return this.batches.filter((batch) => batch.outcome === 'returned').flatMap((batch) => batch.data);
  }
}

/** Succeeds, after `delayMs` (lets concurrent lanes overlap). */
export function succeedAfter(delayMs = 0): KinesisBatchHandler {
  return async () => {
    if (delayMs > 0) await sleep(delayMs);
  };
}

/** Throws when the batch holds a record whose data is exactly 'poison', as a consumer might on bad input. */
export function throwOnPoison(): KinesisBatchHandler {
  return async (event) => {
    if (dataOf(event).includes('poison')) throw new Error('poison record in batch');
  };
}

/** Always throws: a transient fault that never clears (database down). */
export function alwaysThrow(): KinesisBatchHandler {
  return async () => {
    throw new Error('database unavailable');
  };
}

/**
 * Reports as failed every record whose data starts with `prefix`, but only the first `times`
 * times it sees that record (then it succeeds): a transient per-record fault.
 */
export function failMarked(prefix: string, times = Number.POSITIVE_INFINITY): KinesisBatchHandler {
  const seen = new Map<string, number>();
  return async (event): Promise<KinesisStreamBatchResponse> => {
    const failures = event.Records.filter((record) => {
      const data = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
      if (!data.startsWith(prefix)) return false;
      const count = (seen.get(record.kinesis.sequenceNumber) ?? 0) + 1;
      seen.set(record.kinesis.sequenceNumber, count);
      return count <= times;
    });
    return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })) };
  };
}

/** Returns the given (possibly malformed) response the first time, then succeeds. */
export function respondOnceWith(response: unknown): KinesisBatchHandler {
  let calls = 0;
  return async () => {
    calls += 1;
    return calls === 1 ? (response as KinesisStreamBatchResponse) : undefined;
  };
}

/** Sleeps `sleepMs` on its first `slowCalls` invocations (past the function timeout), then succeeds at once. */
export function slowFirst(sleepMs: number, slowCalls = 1): KinesisBatchHandler {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls <= slowCalls) await sleep(sleepMs);
  };
}
