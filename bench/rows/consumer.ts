/**
 * Row 1: the consumer handler on one 1,000-record batch against local Postgres (decode, validate,
 * one idempotent statement, committed), against per-record INSERTs in one transaction, alternating.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { Client } from 'pg';
import { lambdaContext } from '../../emulator/src';
import { alternate } from '../alternate';
import { perRecordInserts } from '../baselines/perRecordInserts';
import { REGION, streamArn, type BenchContext } from '../context';
import { kinesisRecords } from '../fixtures/events';
import { speedup, type RowResult } from '../result';
import { summarize, timed } from '../stats';

export const CONSUMER_BATCH = 1_000;
const TARGET_MEDIAN_MS = 50;
const TARGET_RATIO = 2.5;

type ConsumerHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

export interface ConsumerRowOptions {
  rounds: number;
  warmup: number;
  timeLimitMs?: number;
}

const source = { streamArn: streamArn('bench-consumer'), shardId: 'shardId-000000000000', region: REGION };

async function rowCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_events');
  return rows[0]?.n ?? 0;
}

/**
 * Needs `prepareHandlerEnv` first (the handler reads its configuration when it loads).
 *
 * @example
 * const rows = await consumerRow(ctx, { rounds: 30, warmup: 3 });
 */
export async function consumerRow(ctx: BenchContext, options: ConsumerRowOptions): Promise<RowResult[]> {
  const { handler } = (await import('../../handlers/consumer.js')) as { handler: ConsumerHandler };
  const client = new Client({ connectionString: ctx.services.databaseUrl });
  await client.connect();
  try {
    const before = await rowCount(client);
    const ours = async (): Promise<number> => {
      const event = { Records: kinesisRecords(CONSUMER_BATCH, source) };
      const context = lambdaContext('telemetry-pipeline-bench-consumer', 60_000, REGION);
      let response: KinesisStreamBatchResponse | undefined;
      const ms = await timed(async () => {
        response = await handler(event, context);
      });
      if (response?.batchItemFailures.length)
        throw new Error(`consumer reported ${response.batchItemFailures.length} failed records`);
      return ms;
    };
    const baseline = async (): Promise<number> => {
      const records = kinesisRecords(CONSUMER_BATCH, source);
      let written = 0;
      const ms = await timed(async () => {
        written = await perRecordInserts(client, records);
      });
      if (written !== CONSUMER_BATCH) throw new Error(`per-record baseline wrote ${written} of ${CONSUMER_BATCH} rows`);
      return ms;
    };
    const { a, b } = await alternate(ours, baseline, {
      rounds: options.rounds,
      warmup: options.warmup,
      timeLimitMs: options.timeLimitMs,
      onRound: (round, msA, msB) =>
        ctx.log(
          `consumer round ${round + 1}/${options.rounds}: handler ${msA.toFixed(1)} ms, per-record ${msB.toFixed(1)} ms`,
        ),
    });
    const expected = (a.length + options.warmup) * 2 * CONSUMER_BATCH;
    const stored = (await rowCount(client)) - before;
    if (stored !== expected) throw new Error(`expected ${expected} new rows, found ${stored}`);
    const ourStats = summarize(a);
    const baseStats = summarize(b);
    const ratio = speedup(baseStats.median, ourStats.median);
    return [
      {
        row: '1',
        measure: `consumer: ${CONSUMER_BATCH.toLocaleString('en-US')}-record batch (~480 B each) through the handler to committed rows, local Postgres | base: same decode, per-record INSERTs in one transaction`,
        unit: 'ms',
        median: ourStats.median,
        p95: ourStats.p95,
        baselineMedian: baseStats.median,
        ratio,
        target: `<= ${TARGET_MEDIAN_MS} ms, >= ${TARGET_RATIO}x`,
        met: ourStats.median <= TARGET_MEDIAN_MS && ratio >= TARGET_RATIO,
        detail: {
          rounds: a.length,
          warmup: options.warmup,
          ours: ourStats,
          baseline: { ...baseStats },
          oursMs: a,
          baselineMs: b,
          rowsVerified: stored,
        },
      },
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}
