/**
 * Row 1: the write path one call at a time against the same code with an AdaptiveLimit(8), with
 * 25 ms added to every Kinesis call by the shard model (and no effective shard limit), so that what
 * calls side by side buy is visible; kinesalite itself answers in about a millisecond plus its own
 * work per record.
 *
 * - 1a: the relay (`relayBatch`, one target) over N records in Lambda events of 500 (the mapping's
 *   batchSize: one PutRecords call per event either way) and of 5,000 (a raised batchSize: ten calls
 *   an event, which the concurrent path sends side by side).
 * - 1b: the replay (`replayQueue`) of N records from a DLQ of the consumer's record messages.
 *
 * Each side's rounds alternate with the other's (bench/alternate.ts); every run writes a fresh
 * stream, which is read back and checked: every record there, last copies in order per key.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { AdaptiveLimit } from '../../lib/kinesis/adaptiveLimit';
import { fromLambdaRecord } from '../../lib/kinesis/shardRecord';
import { relayBatch, type RelayTarget } from '../../lib/relay/relayBatch';
import { replayDeps } from '../../lib/replay/deps';
import { replayQueue, type ReplayDeps } from '../../lib/replay/replayQueue';
import { simulateKinesisLimits } from '../../local/src/kinesisModel';
import { alternate } from '../alternate';
import { REGION, streamArn, type BenchContext } from '../context';
import { kinesisRecords } from '../fixtures/events';
import type { RowResult } from '../result';
import { summarize } from '../stats';
import { createQueue, createStream, deleteQueue, deleteStream } from '../streams';
import { packDeadLetters, replayExpectation, sendDeadLetters, watchQueue, type PackedDeadLetters } from './deadLetters';
import type { WriteBenchOptions } from './options';
import { checkLine, checkStream, recordId, readStream, type CheckResult } from './verify';

/** Added to every Kinesis call. */
export const LATENCY_MS = 25;
/** Calls in flight at most on the concurrent side (the default PUT_CONCURRENCY). */
export const CONCURRENCY = 8;
/** Far above what kinesalite can take: the model adds latency and never throttles. */
const UNLIMITED = { recordsPerSecond: 1e12, bytesPerSecond: 1e15 };

export interface RunRecord {
  side: 'concurrent' | 'sequential';
  round: number;
  ms: number;
  calls: number;
  /** Records the code reported as not put. */
  notPut: number;
  check: CheckResult;
  limit?: { current: number; lowest: number; decreases: number };
  /** Replay only: the closing receive on the empty queue, after the last record was in. */
  closingMs?: number;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (records: number, ms: number): number => records / (ms / 1000);

function split<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function idsOf(records: readonly KinesisStreamRecord[]): string[] {
  return records.map((record) => recordId(Buffer.from(record.kinesis.data, 'base64')));
}

interface Comparison {
  concurrent: RunRecord[];
  sequential: RunRecord[];
}

/** The table row of one comparison: records/s of the concurrent side against the sequential one. */
function comparisonRow(row: string, measure: string, records: number, runs: Comparison): RowResult {
  const conc = summarize(runs.concurrent.map((run) => run.ms));
  const seq = summarize(runs.sequential.map((run) => run.ms));
  const concRate = rate(records, conc.median);
  const seqRate = rate(records, seq.median);
  const calls = (list: RunRecord[]): string => [...new Set(list.map((run) => run.calls))].map(count).join('/');
  const all = [...runs.concurrent, ...runs.sequential];
  const broken = all.filter((run) => !run.check.ok || run.notPut > 0);
  const lowest = Math.min(...runs.concurrent.map((run) => run.limit?.lowest ?? CONCURRENCY));
  return {
    row,
    measure:
      `${measure}: ${count(records)} records; PutRecords calls ${calls(runs.concurrent)} (limit 8) vs ${calls(runs.sequential)} (1 at a time);` +
      ` ${conc.n} rounds each, limit lowest ${lowest}; check: ${broken.length === 0 ? `${all.length} runs, every record on the stream, order per key kept` : `${broken.length} of ${all.length} runs BROKEN`}`,
    unit: 'records/s',
    median: concRate,
    baselineMedian: seqRate,
    ratio: concRate / seqRate,
    target: 'check: all there, in order per key',
    met: broken.length === 0,
    check: true,
    display: { p95: `${count(rate(records, conc.max))}/s worst` },
    detail: {
      records,
      latencyMs: LATENCY_MS,
      concurrentRecordsPerSecond: concRate,
      sequentialRecordsPerSecond: seqRate,
      concurrentSeconds: summarize(runs.concurrent.map((run) => run.ms / 1000)),
      sequentialSeconds: summarize(runs.sequential.map((run) => run.ms / 1000)),
      runs: all,
    },
  };
}

/**
 * @example
 * const rows = await latencyRows(ctx, options.latency);
 */
export async function latencyRows(ctx: BenchContext, sizes: WriteBenchOptions['latency']): Promise<RowResult[]> {
  const source = { streamArn: streamArn('bench-write-source'), shardId: 'shardId-000000000000', region: REGION };
  const records = kinesisRecords(sizes.records, source);
  const ids = idsOf(records);
  const keys = records.map((record) => record.kinesis.partitionKey);
  // One modelled client for every run of this row: no shard limit, so runs share nothing but latency.
  const kinesis: KinesisClient = createKinesisClient(ctx.aws);
  const model = simulateKinesisLimits(kinesis, { latencyMs: LATENCY_MS, ...UNLIMITED });
  const everything = replayDeps(ctx.aws, { kinesis: () => kinesis });
  // No putLimit: the replay's one-call-at-a-time path; each concurrent run adds a fresh limit.
  const sequentialDeps: ReplayDeps = {
    sqs: everything.sqs,
    s3: everything.s3,
    kinesisFor: everything.kinesisFor,
    resolveStream: everything.resolveStream,
  };
  const rows: RowResult[] = [];
  try {
    const check = async (name: string, expected: Parameters<typeof checkStream>[1][number]): Promise<CheckResult> => {
      const [result] = checkStream(await readStream(ctx.kinesis, name), [expected]);
      return result as CheckResult;
    };

    // 1a: the relay, at the mapping's batch size and at a raised one.
    for (const batchSize of [500, 5_000]) {
      const events = split(records, batchSize);
      const runs: Comparison = { concurrent: [], sequential: [] };
      const relayRun =
        (side: RunRecord['side']) =>
        async (round: number): Promise<number> => {
          const name = await createStream(ctx.kinesis, `bench-write-relay${batchSize}-${side}-${round}`);
          try {
            const limit = side === 'concurrent' ? new AdaptiveLimit(CONCURRENCY) : undefined;
            const targets: RelayTarget[] = [
              { label: streamArn(name), kinesis, stream: { streamName: name }, ...(limit ? { limit } : {}) },
            ];
            model.reset();
            let notPut = 0;
            let calls = 0;
            const started = performance.now();
            // Bounded: one relay per event, each with its own deadline, as Lambda would run them.
            for (const event of events) {
              const result = await relayBatch(event.map(fromLambdaRecord), {
                targets,
                deadline: Date.now() + 60_000,
                deadLetter: async () => {
                  throw new Error('the relay refused records it should have put');
                },
              });
              notPut += result.response.batchItemFailures.length;
              calls += result.targets[0]?.calls ?? 0;
            }
            const ms = performance.now() - started;
            const modelCalls = model.stats().calls;
            const run: RunRecord = {
              side,
              round,
              ms,
              calls: modelCalls,
              notPut,
              check: await check(name, { ids, keys }),
              ...(limit
                ? {
                    limit: { current: limit.current, lowest: limit.history.lowest, decreases: limit.history.decreases },
                  }
                : {}),
            };
            if (calls !== modelCalls) run.check.problems.push(`relay counted ${calls} calls, the model ${modelCalls}`);
            runs[side].push(run);
            ctx.log(
              `1a relay x${batchSize} ${side} round ${round + 1}: ${count(sizes.records)} in ${(ms / 1000).toFixed(2)} s (${count(rate(sizes.records, ms))}/s), ${modelCalls} calls; ${checkLine(run.check)}`,
            );
            return ms;
          } finally {
            await deleteStream(ctx.kinesis, name);
          }
        };
      await alternate(relayRun('concurrent'), relayRun('sequential'), {
        rounds: sizes.rounds,
        timeLimitMs: sizes.timeLimitMs,
      });
      rows.push(
        comparisonRow(
          batchSize === 500 ? '1a' : "1a'",
          `relay, ${LATENCY_MS} ms/call: relayBatch on ${count(events.length)} Lambda events of ${count(batchSize)}, 1 target`,
          sizes.records,
          runs,
        ),
      );
    }

    // 1b: the replay of record messages.
    const packed: PackedDeadLetters = packDeadLetters(records, ids, source.streamArn);
    const runs: Comparison = { concurrent: [], sequential: [] };
    const replayRun =
      (side: RunRecord['side']) =>
      async (round: number): Promise<number> => {
        const name = `bench-write-replay-${side}-${round}`;
        const target = await createStream(ctx.kinesis, name);
        const queueUrl = await createQueue(ctx.sqs, name);
        try {
          await sendDeadLetters(ctx.sqs, queueUrl, packed);
          const limit = side === 'concurrent' ? new AdaptiveLimit(CONCURRENCY) : undefined;
          const deps: ReplayDeps = { ...sequentialDeps, ...(limit ? { putLimit: limit } : {}) };
          const watch = watchQueue(deps.sqs, packed);
          model.reset();
          const started = performance.now();
          let lastRecordAt = Number.NaN;
          const report = await replayQueue(deps, {
            queueUrl,
            targetStream: target,
            deadline: Date.now() + 300_000,
            onProgress: (progress) => {
              if (progress.recordsReplayed >= sizes.records && Number.isNaN(lastRecordAt))
                lastRecordAt = performance.now();
            },
          }).finally(() => watch.remove());
          const total = performance.now() - started;
          const ms = Number.isNaN(lastRecordAt) ? total : lastRecordAt - started;
          const run: RunRecord = {
            side,
            round,
            ms,
            calls: model.stats().calls,
            notPut: sizes.records - report.recordsReplayed,
            check: await check(target, replayExpectation(packed, watch)),
            closingMs: total - ms,
            ...(limit
              ? { limit: { current: limit.current, lowest: limit.history.lowest, decreases: limit.history.decreases } }
              : {}),
          };
          if (report.failed > 0 || report.problems.length > 0) run.check.problems.push(...report.problems.slice(0, 3));
          runs[side].push(run);
          ctx.log(
            `1b replay ${side} round ${round + 1}: ${count(report.recordsReplayed)} of ${count(sizes.records)} in ${(ms / 1000).toFixed(2)} s (${count(rate(sizes.records, ms))}/s), ${run.calls} calls, ${packed.bodies.length} messages; ${checkLine(run.check)}`,
          );
          return ms;
        } finally {
          await deleteQueue(ctx.sqs, queueUrl);
          await deleteStream(ctx.kinesis, target);
        }
      };
    await alternate(replayRun('concurrent'), replayRun('sequential'), {
      rounds: sizes.rounds,
      timeLimitMs: sizes.timeLimitMs,
    });
    rows.push(
      comparisonRow(
        '1b',
        `replay, ${LATENCY_MS} ms/call: replayQueue, ${count(packed.bodies.length)} DLQ record messages (time to the last record in)`,
        sizes.records,
        runs,
      ),
    );
    return rows;
  } finally {
    model.remove();
    kinesis.destroy();
    everything.sqs.destroy();
    everything.s3.destroy();
  }
}
