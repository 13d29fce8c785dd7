/**
 * Row 2: one 500-event POST through the real ingest handler onto the stream (kinesalite), against
 * the same parse and validation followed by one PutRecord per event, alternating.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from '../../emulator/src';
import { alternate } from '../alternate';
import { ingestPerEvent } from '../baselines/ingestPerEvent';
import { REGION, type BenchContext } from '../context';
import { clientEvent } from '../fixtures/events';
import { postTelemetryEvent } from '../fixtures/apiEvent';
import type { HandlerSetup } from '../handlerEnv';
import { speedup, type RowResult } from '../result';
import { summarize, timed } from '../stats';
import { ceilingShare } from '../throughput';

export const INGEST_EVENTS = 500;
const TARGET_RATIO = 20;

type IngestHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface IngestRowOptions {
  rounds: number;
  warmup: number;
  timeLimitMs?: number;
}

function body(): string {
  const now = Date.now();
  return JSON.stringify(Array.from({ length: INGEST_EVENTS }, (_, i) => clientEvent(i, now)));
}

/**
 * Needs `prepareHandlerEnv` first.
 *
 * @example
 * const rows = await ingestRow(ctx, setup, { rounds: 15, warmup: 2 });
 */
export async function ingestRow(
  ctx: BenchContext,
  setup: HandlerSetup,
  options: IngestRowOptions,
  ceilingRate?: number,
): Promise<RowResult[]> {
  const { handler } = (await import('../../handlers/ingest.js')) as { handler: IngestHandler };
  const ours = async (): Promise<number> => {
    const event = postTelemetryEvent(body(), { 'x-api-key': setup.apiKey });
    const context = lambdaContext('telemetry-pipeline-bench-ingest', 29_000, REGION);
    let result: APIGatewayProxyStructuredResultV2 | undefined;
    const ms = await timed(async () => {
      result = await handler(event, context);
    });
    const accepted = (JSON.parse(result?.body ?? '{}') as { accepted?: number }).accepted;
    if (result?.statusCode !== 202 || accepted !== INGEST_EVENTS)
      throw new Error(`ingest answered ${result?.statusCode}: ${result?.body?.slice(0, 300)}`);
    return ms;
  };
  const baseline = async (): Promise<number> => {
    const text = body();
    let put = 0;
    const ms = await timed(async () => {
      put = await ingestPerEvent(ctx.kinesis, setup.ingestStream, text);
    });
    if (put !== INGEST_EVENTS) throw new Error(`per-event baseline put ${put} of ${INGEST_EVENTS}`);
    return ms;
  };
  const { a, b } = await alternate(ours, baseline, {
    rounds: options.rounds,
    warmup: options.warmup,
    timeLimitMs: options.timeLimitMs,
    onRound: (round, msA, msB) =>
      ctx.log(
        `ingest round ${round + 1}/${options.rounds}: handler ${msA.toFixed(1)} ms, PutRecord each ${msB.toFixed(1)} ms`,
      ),
  });
  const ourStats = summarize(a);
  const baseStats = summarize(b);
  const ratio = speedup(baseStats.median, ourStats.median);
  const rate = INGEST_EVENTS / (ourStats.median / 1000);
  return [
    {
      row: '2',
      measure: `ingest: ${INGEST_EVENTS}-event POST through the handler onto the stream, ${Math.round(rate).toLocaleString('en-US')} events/s${ceilingShare(rate, ceilingRate)} | base: same parsing and validation, PutRecord per event`,
      unit: 'ms',
      median: ourStats.median,
      p95: ourStats.p95,
      baselineMedian: baseStats.median,
      ratio,
      target: `>= ${TARGET_RATIO}x`,
      met: ratio >= TARGET_RATIO,
      detail: {
        rounds: a.length,
        warmup: options.warmup,
        recordsPerSecond: rate,
        ours: ourStats,
        baseline: baseStats,
        oursMs: a,
        baselineMs: b,
      },
    },
  ];
}
