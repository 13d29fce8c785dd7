/**
 * Per-writer accounting on a Kinesis client that several writers share (row 2: the live load and
 * the replay through one modelled client, so they share one set of shard buckets). The model's
 * stats are per client; this tells the writers apart by the prefix of their partition keys. It sits
 * outside the model, so it sees the model's per-entry throttling and its latency.
 */
import type { KinesisClient, PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';

export interface WriterTally {
  /** PutRecords calls. */
  calls: number;
  /** Entries sent, first tries, retries and re-puts alike. */
  entries: number;
  /** Entries refused with ProvisionedThroughputExceededException. */
  throttled: number;
  /** Calls with at least one entry throttled. */
  throttledCalls: number;
  /** Round trip of each call (model latency + kinesalite), ms. */
  callMs: number[];
  /** When each call started (performance.now()), in `callMs` order. */
  callAt: number[];
}

export interface Tally {
  byWriter: Record<string, WriterTally>;
  remove(): void;
}

/** A writer that made no calls. */
export const emptyTally = (): WriterTally => ({
  calls: 0,
  entries: 0,
  throttled: 0,
  throttledCalls: 0,
  callMs: [],
  callAt: [],
});

/**
 * @param writerOf the writer's name from a partition key (`'live'` for `live-17`).
 * @example
 * const tally = tallyWriters(kinesis, (key) => (key.startsWith('live-') ? 'live' : 'replay'));
 */
export function tallyWriters(kinesis: KinesisClient, writerOf: (partitionKey: string) => string): Tally {
  const name = `bench-writer-tally-${Math.random()}`;
  const byWriter: Record<string, WriterTally> = {};
  kinesis.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as PutRecordsCommandInput;
      const writer = writerOf(input.Records?.[0]?.PartitionKey ?? '');
      const tally = (byWriter[writer] ??= emptyTally());
      const started = performance.now();
      const result = await next(args);
      tally.callMs.push(performance.now() - started);
      tally.callAt.push(started);
      tally.calls += 1;
      tally.entries += input.Records?.length ?? 0;
      const output = result.output as PutRecordsCommandOutput;
      const throttled = (output.Records ?? []).filter(
        (entry) => entry.ErrorCode === 'ProvisionedThroughputExceededException',
      ).length;
      tally.throttled += throttled;
      if (throttled > 0) tally.throttledCalls += 1;
      return result;
    },
    // Outermost (the model is at normal priority in the same step): sees its answers and its delay.
    { step: 'initialize', name, priority: 'high' },
  );
  return { byWriter, remove: () => kinesis.middlewareStack.remove(name) };
}
