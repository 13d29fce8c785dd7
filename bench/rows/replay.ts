/**
 * Rows 3b and 3c: `replayQueue` draining DLQ messages that name N records back onto a stream,
 * against the same messages resolved the same way and put back with one PutRecord per record.
 *
 * - 3b, record messages: the consumer's own dead letters, records inline (packed to 256 KiB).
 * - 3c, on-failure records: Lambda's metadata-only messages, one per failed batch of 1,000, whose
 *   ranges the replay re-reads from the shard (GetShardIterator + GetRecords) before putting them back.
 *
 * Both put into a fresh stream per round (`targetStream`), so rounds never share state. The time is
 * taken when the last record is back; the replay's closing receive, which waits up to a second on the
 * empty queue to be sure it is drained, is reported apart (a constant, not a cost per record).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { replayDeps } from '../../lib/replay/deps';
import { replayQueue, type ReplayDeps } from '../../lib/replay/replayQueue';
import { alternate } from '../alternate';
import { replayPerRecord } from '../baselines/replayPerRecord';
import { REGION, streamArn, type BenchContext } from '../context';
import { fillDeadLetters } from '../fixtures/deadLetters';
import { kinesisRecords, toKinesisRecord } from '../fixtures/events';
import { putSourceRecords, sendOnFailureRecords, type Placement } from '../fixtures/onFailureRecords';
import type { RowResult } from '../result';
import { createQueue, createStream, deleteQueue, deleteStream } from '../streams';
import { throughputRow, type ThroughputSizes } from '../throughput';

export type ReplayVariant = 'record-messages' | 'on-failure-ranges';

/** The consumer's batchSize: one on-failure record per failed batch. */
const FAILED_BATCH = 1_000;
const SOURCE_STREAM = 'bench-replay-source';

/** Fills a queue with the messages of one variant naming `records`; returns the message count. */
type Fill = (queueUrl: string, which: 'all' | 'sample') => Promise<number>;

async function fillFor(
  ctx: BenchContext,
  variant: ReplayVariant,
  all: KinesisStreamRecord[],
  sample: KinesisStreamRecord[],
): Promise<Fill> {
  const sourceArn = streamArn(SOURCE_STREAM);
  if (variant === 'record-messages') {
    return (queueUrl, which) => fillDeadLetters(ctx.sqs, queueUrl, which === 'all' ? all : sample, sourceArn);
  }
  // The ranges must be on the stream they name: put once, re-read every round.
  await createStream(ctx.kinesis, SOURCE_STREAM);
  const placedAll: Placement[] = await putSourceRecords(ctx.kinesis, SOURCE_STREAM, all.map(toKinesisRecord));
  const placedSample: Placement[] = await putSourceRecords(ctx.kinesis, SOURCE_STREAM, sample.map(toKinesisRecord));
  return (queueUrl, which) =>
    sendOnFailureRecords(ctx.sqs, queueUrl, which === 'all' ? placedAll : placedSample, sourceArn, FAILED_BATCH);
}

/**
 * @example
 * const rows = await replayRow(ctx, 'on-failure-ranges', { records: 100_000, sampleRecords: 3_000, rounds: 3 }, ceilingRate);
 */
export async function replayRow(
  ctx: BenchContext,
  variant: ReplayVariant,
  sizes: ThroughputSizes,
  ceilingRate?: number,
): Promise<RowResult[]> {
  const source = { streamArn: streamArn(SOURCE_STREAM), shardId: 'shardId-000000000000', region: REGION };
  const tag = variant === 'record-messages' ? 'msg' : 'range';
  const deps: ReplayDeps = replayDeps(ctx.aws);
  const drainTails: number[] = [];
  let messagesPerRound = 0;
  try {
    const fill = await fillFor(
      ctx,
      variant,
      kinesisRecords(sizes.records, source),
      kinesisRecords(sizes.sampleRecords, source),
    );
    const ours = async (round: number): Promise<number> => {
      const target = await createStream(ctx.kinesis, `bench-replay-${tag}-${round}-ours`);
      const queueUrl = await createQueue(ctx.sqs, `bench-replay-${tag}-${round}-ours`);
      try {
        messagesPerRound = await fill(queueUrl, 'all');
        const started = performance.now();
        let lastRecordAt = Number.NaN;
        const report = await replayQueue(deps, {
          queueUrl,
          targetStream: target,
          deadline: Date.now() + 600_000,
          onProgress: (progress) => {
            if (progress.recordsReplayed >= sizes.records && Number.isNaN(lastRecordAt))
              lastRecordAt = performance.now();
          },
        });
        const total = performance.now() - started;
        if (report.recordsReplayed !== sizes.records || report.replayed !== messagesPerRound || report.failed > 0)
          throw new Error(
            `replay put back ${report.recordsReplayed} of ${sizes.records} records (${report.replayed} of ${messagesPerRound} messages): ${report.problems.slice(0, 3).join('; ')}`,
          );
        drainTails.push(total - (lastRecordAt - started));
        return lastRecordAt - started;
      } finally {
        await deleteQueue(ctx.sqs, queueUrl);
        await deleteStream(ctx.kinesis, target);
      }
    };
    const baseline = async (round: number): Promise<number> => {
      const target = await createStream(ctx.kinesis, `bench-replay-${tag}-${round}-each`);
      const queueUrl = await createQueue(ctx.sqs, `bench-replay-${tag}-${round}-each`);
      try {
        const messages = await fill(queueUrl, 'sample');
        const started = performance.now();
        const result = await replayPerRecord(deps, { queueUrl, maxMessages: messages, targetStream: target });
        const ms = performance.now() - started;
        if (result.records !== sizes.sampleRecords)
          throw new Error(`baseline replay put back ${result.records} of ${sizes.sampleRecords}`);
        return ms;
      } finally {
        await deleteQueue(ctx.sqs, queueUrl);
        await deleteStream(ctx.kinesis, target);
      }
    };
    const samples = await alternate(ours, baseline, {
      rounds: sizes.rounds,
      timeLimitMs: sizes.timeLimitMs,
      onRound: (round, msA, msB) =>
        ctx.log(
          `replay (${variant}) round ${round + 1}/${sizes.rounds}: ${sizes.records} records in ${(msA / 1000).toFixed(2)} s; PutRecord each: ${sizes.sampleRecords} in ${(msB / 1000).toFixed(2)} s`,
        ),
    });
    const row = throughputRow(
      variant === 'record-messages'
        ? {
            row: '3b',
            measure: `replay: replayQueue, ${messagesPerRound} DLQ record messages (payload inline)`,
            baseline: 'same messages, PutRecord per record',
            target: '>= 20x',
            targetRatio: 20,
            ceilingRate,
          }
        : {
            row: '3c',
            measure: `replay: replayQueue, ${messagesPerRound} Lambda on-failure records (ranges of ${FAILED_BATCH.toLocaleString('en-US')} re-read from the shard)`,
            baseline: 'same messages and re-reads, PutRecord per record',
            target: '>= 20x',
            targetRatio: 20,
            ceilingRate,
          },
      sizes,
      samples,
    );
    return [{ ...row, detail: { ...row.detail, variant, messages: messagesPerRound, closingReceiveMs: drainTails } }];
  } finally {
    if (variant === 'on-failure-ranges') await deleteStream(ctx.kinesis, SOURCE_STREAM);
    deps.sqs.destroy();
    deps.kinesisFor(REGION).destroy();
  }
}
