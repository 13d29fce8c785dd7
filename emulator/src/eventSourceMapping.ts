/**
 * The local stand-in for a Lambda Kinesis event source mapping: finds the stream's shards (and
 * new ones after a split or merge), runs a ShardWorker per shard in lineage order, invokes the real
 * handler with Lambda's event and context, and sends on-failure records to SQS in AWS's shape.
 *
 * What happens to records under each fault (as in Lambda):
 * - the handler throws, times out, or answers a malformed partial-failure response: the batch
 *   comes again (halved first with bisectBatchOnFunctionError) until maximumRetryAttempts or
 *   maximumRecordAgeInSeconds runs out, then its range goes to the on-failure queue;
 * - the handler reports failed items: everything before the lowest one is checkpointed, the rest
 *   comes again (counted as a retry);
 * - the on-failure queue cannot be written: the send is retried and the shard waits, records stay
 *   un-checkpointed; with no destination configured they are dropped with a log line and counted
 *   in `recordsDiscarded`, which is what Lambda does;
 * - ListShards, GetShardIterator or GetRecords fail (throttling, connection): back off and retry;
 *   an expired iterator is renewed just after the last record read. Nothing read is dropped;
 * - stop(): the invocation in flight finishes (or times out); everything not done stays on the
 *   stream past the last checkpoint (`stats.shards`, which `resumeFrom` takes back).
 */
import { randomUUID } from 'node:crypto';
import { ListShardsCommand, type ListShardsCommandOutput, type Shard } from '@aws-sdk/client-kinesis';
import { EmulatorConfigError, errorMessage } from './errors';
import { invokeHandler } from './invokeHandler';
import { buildKinesisEvent, type EventSource } from './kinesisEvent';
import { validateMapping } from './mappingOptions';
import { emptyCounters, type MappingRuntime } from './mappingRuntime';
import { buildOnFailureMessage, type FailedBatch } from './onFailureMessage';
import { OnFailureSender } from './onFailureSender';
import { planShard } from './shardLineage';
import { ShardWorker } from './shardWorker';
import type { StreamRecord } from './streamRecord';
import { throttledLog } from './throttledLog';
import type { DrainOptions, EsmStats, EventSourceMapping, ShardStats, StartEsmOptions } from './types';
import { resolveTiming } from './timing';
import { Wakeup } from './wakeup';

/**
 * A stand-in when no `fn.roleArn` is given: AWS puts the function's execution role in each record's
 * `invokeIdentityArn`, which only the caller knows (the Serverless Framework's is
 * `<service>-<stage>-<region>-lambdaRole`; the local stack passes it).
 */
function defaultRoleArn(functionArn: string, functionName: string): string {
  const account = functionArn.split(':')[4] ?? '000000000000';
  return `arn:aws:iam::${account}:role/${functionName}-role`;
}

async function listAllShards(options: StartEsmOptions): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  // Bounded: a stream has at most a few thousand shards, 1,000 per page.
  for (let page = 0; page < 100; page += 1) {
    const out: ListShardsCommandOutput = await options.kinesis.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: options.stream.name }),
    );
    shards.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return shards;
}

/**
 * Starts polling at once; `stop()` ends it.
 *
 * @example
 * const esm = startEventSourceMapping({
 *   kinesis, sqs, region: 'us-east-1',
 *   stream: { name: 'telemetry', arn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry' },
 *   fn: { name: 'consumer', arn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer', handler, timeoutMs: 60_000 },
 *   mapping: { batchSize: 1000, maximumBatchingWindowInSeconds: 0, startingPosition: 'TRIM_HORIZON',
 *     maximumRetryAttempts: 2, maximumRecordAgeInSeconds: -1, bisectBatchOnFunctionError: true,
 *     parallelizationFactor: 1, reportBatchItemFailures: true, onFailure: { queueArn, queueUrl } },
 * });
 * await esm.drained();
 * await esm.stop();
 */
export function startEventSourceMapping(options: StartEsmOptions): EventSourceMapping {
  const mapping = validateMapping(options.mapping);
  const timing = resolveTiming(options.timing);
  const { fn } = options;
  if (!Number.isFinite(fn.timeoutMs) || fn.timeoutMs <= 0)
    throw new EmulatorConfigError(`fn.timeoutMs must be a positive number, got ${fn.timeoutMs}`);
  const sqs = options.sqs;
  const toS3 = mapping.onFailure !== undefined && 'bucketArn' in mapping.onFailure;
  if (mapping.onFailure && !toS3 && !sqs)
    throw new EmulatorConfigError('mapping.onFailure is an SQS queue but no sqs client was given');
  if (toS3 && !options.s3)
    throw new EmulatorConfigError('mapping.onFailure is an S3 bucket but no s3 client was given');
  // AWS gives every mapping a UUID; S3 on-failure object keys start with it.
  const mappingUuid = options.uuid ?? randomUUID();

  const log = options.log ?? (() => undefined);
  const warn = throttledLog(log);
  const prefix = `[esm ${fn.name} <- ${options.stream.name}]`;
  const counters = emptyCounters();
  const stopWakeup = new Wakeup();
  let stopping = false;

  const eventSource: EventSource = {
    streamArn: options.stream.arn,
    region: options.region,
    invokeIdentityArn: fn.roleArn ?? defaultRoleArn(fn.arn, fn.name),
  };

  const sender =
    mapping.onFailure && (sqs || options.s3)
      ? new OnFailureSender({
          ...(sqs ? { sqs } : {}),
          ...(options.s3 ? { s3: options.s3 } : {}),
          mappingUuid,
          target: mapping.onFailure,
          isStopping: () => stopping,
          sleep: (ms) => stopWakeup.wait(ms),
          retryDelayMs: timing.onFailureRetryDelayMs,
          warn: (key, line) => warn(key, `${prefix} ${line}`),
          onSendError: () => {
            counters.onFailureSendErrors += 1;
          },
        })
      : undefined;

  const invoke = async (records: readonly StreamRecord[]) => {
    counters.invocations += 1;
    counters.recordsDelivered += records.length;
    counters.inFlight += 1;
    counters.maxConcurrentInvocations = Math.max(counters.maxConcurrentInvocations, counters.inFlight);
    const last = records[records.length - 1];
    if (last) counters.iteratorAgeMs = Math.max(0, Date.now() - last.arrivalMs);
    try {
      return await invokeHandler(fn, buildKinesisEvent(records, eventSource));
    } finally {
      counters.inFlight -= 1;
    }
  };

  const dispose = async (failed: FailedBatch): Promise<boolean> => {
    const message = buildOnFailureMessage(failed, { functionArn: fn.arn, streamArn: options.stream.arn });
    const range = `${message.KinesisBatchInfo.shardId} ${message.KinesisBatchInfo.startSequenceNumber}..${message.KinesisBatchInfo.endSequenceNumber}`;
    if (!sender) {
      // What Lambda does without a destination: the records are skipped, with only a log line.
      counters.recordsDiscarded += failed.records.length;
      log(
        `${prefix} ${failed.condition}: discarded ${failed.records.length} record(s) ${range} (no on-failure destination)`,
      );
      return true;
    }
    const delivered = toS3 ? buildKinesisEvent(failed.records, eventSource).Records : [];
    if (!(await sender.send(message, delivered))) return false;
    counters.onFailureMessages += 1;
    counters.recordsSentToOnFailure += failed.records.length;
    log(`${prefix} ${failed.condition}: on-failure record sent for ${failed.records.length} record(s) ${range}`);
    return true;
  };

  const runtime: MappingRuntime = {
    kinesis: options.kinesis,
    streamName: options.stream.name,
    mapping,
    timing,
    eventSource,
    counters,
    invoke,
    dispose,
    sleep: (ms) => stopWakeup.wait(ms),
    isStopping: () => stopping,
    log: (line) => log(`${prefix} ${line}`),
    warn: (key, line) => warn(key, `${prefix} ${line}`),
  };

  const known = new Map<string, Shard>();
  const workers = new Map<string, ShardWorker>();
  const finished = new Set<string>();
  const skipped = new Set<string>();
  const resumed = new Set(Object.keys(options.resumeFrom ?? {}));
  let initial: Set<string> | undefined;
  let listedAt = Number.NEGATIVE_INFINITY;

  const startReadyShards = (): void => {
    if (stopping || !initial) return;
    for (const [shardId, shard] of known) {
      if (workers.has(shardId) || finished.has(shardId)) continue;
      const plan = planShard(shard, { known, finished, initial, startingPosition: mapping.startingPosition, resumed });
      if (plan.action === 'skip') {
        skipped.add(shardId);
        finished.add(shardId);
        // Its children may now be ready: go round again.
        startReadyShards();
        return;
      }
      if (plan.action === 'start') {
        const timestamp = mapping.startingPositionTimestamp;
        const after = options.resumeFrom?.[shardId];
        const worker = new ShardWorker(
          runtime,
          {
            shardId,
            position: plan.position,
            ...(timestamp !== undefined ? { timestamp: new Date(timestamp * 1000) } : {}),
            ...(after ? { after } : {}),
          },
          (done) => {
            finished.add(done);
            runtime.log(`${done} finished (SHARD_END, all records done)`);
            startReadyShards();
          },
        );
        workers.set(shardId, worker);
      }
    }
  };

  const discover = async (): Promise<void> => {
    // Bounded by stop(): one ListShards per interval for the mapping's lifetime.
    while (!stopping) {
      const callStartedAt = Date.now();
      try {
        const shards = await listAllShards(options);
        for (const shard of shards) if (shard.ShardId) known.set(shard.ShardId, shard);
        initial ??= new Set(known.keys());
        startReadyShards();
        listedAt = callStartedAt;
      } catch (error) {
        runtime.warn('list-shards', `ListShards failed: ${errorMessage(error)}`);
      }
      await stopWakeup.wait(timing.shardDiscoveryIntervalMs);
    }
  };
  const discovery = discover();

  const shardStats = (): ShardStats[] =>
    [...known.keys()].sort().map((shardId) => {
      const worker = workers.get(shardId);
      if (worker)
        return { shardId, state: worker.state, checkpoint: worker.checkpoint, pendingRecords: worker.pendingRecords };
      return {
        shardId,
        state: skipped.has(shardId) ? 'skipped' : 'waiting-for-parents',
        checkpoint: undefined,
        pendingRecords: 0,
      };
    });

  const isDrainedSince = (since: number): boolean => {
    if (listedAt < since) return false;
    for (const shardId of known.keys()) {
      if (skipped.has(shardId)) continue;
      const worker = workers.get(shardId);
      if (!worker?.drainedSince(since)) return false;
    }
    return true;
  };

  let stopped: Promise<void> | undefined;

  return {
    get stats(): EsmStats {
      const now = Date.now();
      const oldest = Math.min(
        ...[...workers.values()].map((worker) => worker.oldestPendingArrivalMs ?? Number.POSITIVE_INFINITY),
      );
      const { inFlight: _inFlight, ...rest } = counters;
      return { ...rest, lagMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0, shards: shardStats() };
    },

    async drained(drainOptions: DrainOptions = {}): Promise<void> {
      const since = Date.now();
      const deadline = since + (drainOptions.timeoutMs ?? 30_000);
      // Bounded by the deadline.
      while (!isDrainedSince(since)) {
        if (stopping) throw new Error(`${prefix} stopped before it drained`);
        if (Date.now() >= deadline) {
          throw new Error(
            `${prefix} not drained after ${drainOptions.timeoutMs ?? 30_000} ms: ${JSON.stringify(shardStats())}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },

    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping = true;
        stopWakeup.notify();
        for (const worker of workers.values()) worker.wake();
        await discovery;
        await Promise.all([...workers.values()].map((worker) => worker.done));
        log(
          `${prefix} stopped (${counters.invocations} invocations, ${counters.recordsCheckpointed} records checkpointed)`,
        );
      })();
      return stopped;
    },
  };
}
