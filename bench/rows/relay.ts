/**
 * Row 3a: `relayBatch` over N records delivered as the mapping delivers them (Lambda events of 500,
 * one after another, one target stream), against one PutRecord per record.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { fromLambdaRecord } from '../../lib/kinesis/shardRecord';
import { relayBatch, type RelayTarget } from '../../lib/relay/relayBatch';
import { alternate } from '../alternate';
import { putRecordEach } from '../baselines/putRecordEach';
import { REGION, streamArn, type BenchContext } from '../context';
import { kinesisRecords, toKinesisRecord } from '../fixtures/events';
import type { RowResult } from '../result';
import { createStream, deleteStream } from '../streams';
import { timed } from '../stats';
import { throughputRow, type ThroughputSizes } from '../throughput';

/** The relay mapping's batchSize in serverless.yml: one PutRecords call per target per batch. */
export const RELAY_BATCH = 500;

function batches(records: readonly KinesisStreamRecord[]): KinesisStreamRecord[][] {
  const out: KinesisStreamRecord[][] = [];
  for (let i = 0; i < records.length; i += RELAY_BATCH) out.push(records.slice(i, i + RELAY_BATCH));
  return out;
}

/**
 * @example
 * const rows = await relayRow(ctx, { records: 100_000, sampleRecords: 3_000, rounds: 3 });
 */
export async function relayRow(ctx: BenchContext, sizes: ThroughputSizes, ceilingRate?: number): Promise<RowResult[]> {
  const source = { streamArn: streamArn('bench-telemetry'), shardId: 'shardId-000000000000', region: REGION };
  const events = batches(kinesisRecords(sizes.records, source));
  const sample = batches(kinesisRecords(sizes.sampleRecords, source));
  // Its own client, as the relay handler builds one per target at cold start.
  const kinesis = createKinesisClient(ctx.aws);
  try {
    const ours = async (round: number): Promise<number> => {
      const name = await createStream(ctx.kinesis, `bench-relay-${round}-ours`);
      const targets: RelayTarget[] = [{ label: streamArn(name), kinesis, stream: { streamName: name } }];
      let put = 0;
      try {
        const ms = await timed(async () => {
          for (const batch of events) {
            // As the relay function does: the event's records as plain shard records, then the relay.
            const result = await relayBatch(batch.map(fromLambdaRecord), {
              targets,
              deadline: Date.now() + 60_000,
              deadLetter: async () => {
                throw new Error('the relay refused records it should have put');
              },
            });
            if (result.response.batchItemFailures.length)
              throw new Error(`relay failed ${result.response.batchItemFailures.length} records`);
            put += result.targets[0]?.put ?? 0;
          }
        });
        if (put !== sizes.records) throw new Error(`relay put ${put} of ${sizes.records}`);
        return ms;
      } finally {
        await deleteStream(ctx.kinesis, name);
      }
    };
    const baseline = async (round: number): Promise<number> => {
      const name = await createStream(ctx.kinesis, `bench-relay-${round}-each`);
      let put = 0;
      try {
        const ms = await timed(async () => {
          for (const batch of sample) put += await putRecordEach(kinesis, name, batch.map(toKinesisRecord));
        });
        if (put !== sizes.sampleRecords) throw new Error(`baseline put ${put} of ${sizes.sampleRecords}`);
        return ms;
      } finally {
        await deleteStream(ctx.kinesis, name);
      }
    };
    const samples = await alternate(ours, baseline, {
      rounds: sizes.rounds,
      timeLimitMs: sizes.timeLimitMs,
      onRound: (round, msA, msB) =>
        ctx.log(
          `relay round ${round + 1}/${sizes.rounds}: ${sizes.records} records in ${(msA / 1000).toFixed(2)} s; PutRecord each: ${sizes.sampleRecords} in ${(msB / 1000).toFixed(2)} s`,
        ),
    });
    return [
      throughputRow(
        {
          row: '3a',
          measure: `relay: relayBatch on Lambda events of ${RELAY_BATCH}, 1 target`,
          baseline: 'PutRecord per record',
          target: '>= 20x',
          targetRatio: 20,
          ceilingRate,
        },
        sizes,
        samples,
      ),
    ];
  } finally {
    kinesis.destroy();
  }
}
