/**
 * What every shard of one mapping shares: the clients, the settings, the function to invoke, the
 * on-failure path, the counters, and the stop signal.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { InvocationResult } from './invokeHandler';
import type { EventSource } from './kinesisEvent';
import type { FailedBatch } from './onFailureMessage';
import type { BatchCounters } from './runBatch';
import type { StreamRecord } from './streamRecord';
import type { EsmStats, EsmTiming, MappingOptions } from './types';

/** The running totals behind `EsmStats` (lag and shard states are computed when asked), plus what is in flight. */
export type Counters = Omit<EsmStats, 'lagMs' | 'shards'> & BatchCounters & { inFlight: number };

export interface MappingRuntime {
  kinesis: KinesisClient;
  streamName: string;
  mapping: MappingOptions;
  timing: Required<EsmTiming>;
  eventSource: EventSource;
  counters: Counters;
  invoke(records: readonly StreamRecord[]): Promise<InvocationResult>;
  /** Sends (or, with no destination, discards) a failed batch; false when stopped before it could. */
  dispose(failed: FailedBatch): Promise<boolean>;
  /** Ends early on stop(). */
  sleep(ms: number): Promise<void>;
  isStopping(): boolean;
  log(line: string): void;
  warn(key: string, line: string): void;
}

/**
 * @example
 * const counters = emptyCounters();
 */
export function emptyCounters(): Counters {
  return {
    invocations: 0,
    recordsDelivered: 0,
    recordsSucceeded: 0,
    recordsCheckpointed: 0,
    functionErrors: 0,
    timeouts: 0,
    partialFailures: 0,
    retries: 0,
    bisections: 0,
    onFailureMessages: 0,
    recordsSentToOnFailure: 0,
    onFailureSendErrors: 0,
    recordsDiscarded: 0,
    getRecordsCalls: 0,
    getRecordsErrors: 0,
    iteratorAgeMs: 0,
    inFlight: 0,
    maxConcurrentInvocations: 0,
  };
}
