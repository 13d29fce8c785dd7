/**
 * `npm run bench:write -- [--records N] [--quick]`: the Kinesis write path one call at a time against
 * calls side by side under an AdaptiveLimit, in the same run, against kinesalite behind the shard
 * model (local/src/kinesisModel.ts):
 *
 * 1. 25 ms added per call, no shard limit: the relay (events of 500 and of 5,000) and the replay of
 *    a DLQ of record messages, sequential vs AdaptiveLimit(8);
 * 2. ten shards at Kinesis's limits: a replay beside a steady live load of 5,000 records/s, the live
 *    put latency alone vs with the replay, throttling per writer, where the limits went.
 *
 * Progress on stderr, the table on stdout, everything in `bench/results-write.json`. Timings never
 * fail the run; a broken check (records lost, order per partition key broken) exits 1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createKinesisClient } from '../lib/aws/kinesisClient';
import { createSqsClient } from '../lib/aws/sqsClient';
import type { AwsConfig } from '../lib/config';
import { startServicesChild, type ServicesChild } from '../local/src/servicesChild';
import { REGION, type BenchContext } from './context';
import { describeMachine, machineLine } from './machine';
import type { RowResult } from './result';
import { markdownTable, terminalTable } from './table';
import { latencyRows } from './writePath/latencyRows';
import { parseWriteBenchArgs, WriteBenchUsageError } from './writePath/options';
import { sharedShardRows } from './writePath/sharedShards';

const ROOT = path.resolve(__dirname, '..');

function log(line: string): void {
  process.stderr.write(`[bench:write ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseWriteBenchArgs(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Local stand-ins accept any credentials; the SDK still wants some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const machine = describeMachine();
  const started = Date.now();
  log(
    `${options.quick ? 'quick run' : 'full run'}: rows ${[...options.rows].join(', ')}; row 1 ${options.latency.records.toLocaleString('en-US')} records x ${options.latency.rounds} rounds, row 2 replay ${options.shards.replayRecords.toLocaleString('en-US')}`,
  );
  log('starting kinesalite, fauxqs and Postgres (child process)');
  const services: ServicesChild = await startServicesChild();
  const aws: AwsConfig = {
    region: REGION,
    kinesisEndpoint: services.kinesisEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    streamAddressing: 'name',
  };
  const ctx: BenchContext = { services, aws, kinesis: createKinesisClient(aws), sqs: createSqsClient(aws), log };
  const rows: RowResult[] = [];
  try {
    if (options.rows.has('1')) rows.push(...(await latencyRows(ctx, options.latency)));
    if (options.rows.has('2')) rows.push(...(await sharedShardRows(ctx, options.shards)));
  } finally {
    ctx.kinesis.destroy();
    ctx.sqs.destroy();
    await services.stop();
  }
  const seconds = (Date.now() - started) / 1000;

  const footer =
    `${machineLine(machine)}; ${options.quick ? '--quick, ' : ''}${seconds.toFixed(0)} s. ` +
    'Row 1: median is AdaptiveLimit(8), baseline one call at a time, ratio = records/s concurrent / sequential. ' +
    'Row 2: one modelled client for both writers (shared shard buckets).';
  process.stdout.write(`${terminalTable(rows)}\n${footer}\n`);
  const out = path.resolve(ROOT, options.outFile);
  await mkdir(path.dirname(out), { recursive: true });
  const json = {
    startedAt: new Date(started).toISOString(),
    seconds,
    quick: options.quick,
    machine,
    options: { ...options, rows: [...options.rows] },
    rows,
    markdown: markdownTable(rows),
  };
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
  log(`done in ${seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), out)}`);

  const broken = rows.filter((row) => row.check && !row.met);
  if (broken.length > 0)
    throw new Error(`correctness check failed: ${broken.map((row) => `${row.row} ${row.measure}`).join('; ')}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof WriteBenchUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench:write failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
