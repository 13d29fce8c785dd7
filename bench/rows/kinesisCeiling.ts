/**
 * Row 3d (reference, no target): kinesalite's own ceiling. Raw PutRecords calls of 500 in a loop,
 * straight through the SDK with nothing of ours, against raw PutRecord calls. The first is as fast
 * as anything can write to this emulator; their ratio is the most any batching can gain here, so
 * the table shows how close relay and replay run to what the emulator allows.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { alternate } from '../alternate';
import { putRecordEach } from '../baselines/putRecordEach';
import { REGION, streamArn, type BenchContext } from '../context';
import { kinesisRecords, toKinesisRecord } from '../fixtures/events';
import type { RowResult } from '../result';
import { createStream, deleteStream } from '../streams';
import { timed } from '../stats';
import { CEILING_ROW, throughputRow, type ThroughputSizes } from '../throughput';

const PUT_RECORDS_MAX = 500;

/**
 * @example
 * const [ceiling] = await kinesisCeilingRow(ctx, { records: 100_000, sampleRecords: 3_000, rounds: 3 });
 */
export async function kinesisCeilingRow(ctx: BenchContext, sizes: ThroughputSizes): Promise<RowResult[]> {
  const source = { streamArn: streamArn('bench-telemetry'), shardId: 'shardId-000000000000', region: REGION };
  const records = kinesisRecords(sizes.records, source).map(toKinesisRecord);
  const sample = kinesisRecords(sizes.sampleRecords, source).map(toKinesisRecord);
  const kinesis = createKinesisClient(ctx.aws);
  try {
    const ours = async (round: number): Promise<number> => {
      const name = await createStream(ctx.kinesis, `bench-ceiling-${round}-batch`);
      try {
        return await timed(async () => {
          for (let i = 0; i < records.length; i += PUT_RECORDS_MAX) {
            const chunk = records.slice(i, i + PUT_RECORDS_MAX);
            const result = await kinesis.send(
              new PutRecordsCommand({
                StreamName: name,
                Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
              }),
            );
            if (result.FailedRecordCount) throw new Error(`kinesalite failed ${result.FailedRecordCount} records`);
          }
        });
      } finally {
        await deleteStream(ctx.kinesis, name);
      }
    };
    const baseline = async (round: number): Promise<number> => {
      const name = await createStream(ctx.kinesis, `bench-ceiling-${round}-each`);
      try {
        return await timed(() => putRecordEach(kinesis, name, sample));
      } finally {
        await deleteStream(ctx.kinesis, name);
      }
    };
    const samples = await alternate(ours, baseline, {
      rounds: sizes.rounds,
      timeLimitMs: sizes.timeLimitMs,
      onRound: (round, msA, msB) =>
        ctx.log(
          `kinesalite ceiling round ${round + 1}/${sizes.rounds}: PutRecords x500 ${sizes.records} in ${(msA / 1000).toFixed(2)} s; PutRecord ${sizes.sampleRecords} in ${(msB / 1000).toFixed(2)} s`,
        ),
    });
    return [
      throughputRow(
        {
          row: CEILING_ROW,
          measure: 'kinesalite alone: raw PutRecords of 500 in a loop',
          baseline: 'raw PutRecord in a loop',
          target: 'none: the ceiling 2 and 3a-3c run against',
          targetRatio: undefined,
        },
        sizes,
        samples,
      ),
    ];
  } finally {
    kinesis.destroy();
  }
}
