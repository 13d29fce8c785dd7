/**
 * `npm run bench` (`-- --quick` for a run under a minute): every row of the performance table
 * against the local services, each with its baseline measured in the same run, alternating.
 * Progress on stderr, the table on stdout, everything (samples included) in `bench/results.json`.
 *
 * Timings never fail the run (a shared machine is too noisy to gate on); a broken correctness check
 * (records lost or doubled, a row that could not run) does, with exit code 1.
 *
 * For profiling: `BENCH_STACK_CPU_PROF=<dir>` writes a CPU profile of row 4's stack child there.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServicesChild, type ServicesChild } from '../local/src/servicesChild';
import { createKinesisClient } from '../lib/aws/kinesisClient';
import { createSqsClient } from '../lib/aws/sqsClient';
import type { AwsConfig } from '../lib/config';
import { REGION, type BenchContext } from './context';
import { prepareHandlerEnv } from './handlerEnv';
import { describeMachine, machineLine } from './machine';
import { BenchUsageError, parseBenchArgs, type BenchOptions } from './options';
import type { RowResult } from './result';
import { coldStartRow } from './rows/coldStart';
import { consumerRow } from './rows/consumer';
import { endToEndRow } from './rows/endToEnd';
import { ingestRow } from './rows/ingest';
import { kinesisCeilingRow } from './rows/kinesisCeiling';
import { otlpRow } from './rows/otlp';
import { relayRow } from './rows/relay';
import { replayRow } from './rows/replay';
import { markdownTable, terminalTable } from './table';
import { rowRate } from './throughput';

const ROOT = path.resolve(__dirname, '..');

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Rows 1-3: this process against kinesalite, fauxqs and Postgres in a child process. */
async function inProcessRows(options: BenchOptions): Promise<RowResult[]> {
  // Local stand-ins accept any credentials; the SDK still wants some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // A child process: in AWS these services are across a network, and here they would otherwise
  // share this process's one thread and garbage collector with the code being timed.
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
    const setup = await prepareHandlerEnv(ctx);
    // The emulator's own ceiling first, on a fresh kinesalite: rows 2 and 3 say how close they get.
    const ceiling = options.rows.has('3') ? await kinesisCeilingRow(ctx, options.throughput) : [];
    const ceilingRate = ceiling[0] ? rowRate(ceiling[0]) : undefined;
    rows.push(...ceiling);
    if (options.rows.has('1')) rows.push(...(await consumerRow(ctx, options.consumer)));
    if (options.rows.has('2')) {
      rows.push(...(await ingestRow(ctx, setup, options.ingest, ceilingRate)));
      rows.push(...(await otlpRow(ctx, setup, options.ingest)));
    }
    if (options.rows.has('3')) {
      rows.push(...(await relayRow(ctx, options.throughput, ceilingRate)));
      rows.push(...(await replayRow(ctx, 'record-messages', options.throughput, ceilingRate)));
      rows.push(...(await replayRow(ctx, 'on-failure-ranges', options.throughput, ceilingRate)));
    }
  } finally {
    ctx.kinesis.destroy();
    ctx.sqs.destroy();
    await services.stop();
  }
  // In the table's order (1, 2, 3a-3d), whatever order they ran in.
  return rows.sort((a, b) => a.row.localeCompare(b.row));
}

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Rows 1-3 point process.env at their own services; the stack child must not inherit that.
  const cleanEnv = { ...process.env };
  const machine = describeMachine();
  const started = Date.now();
  log(`${options.quick ? 'quick run' : 'full run'}: rows ${[...options.rows].join(', ')}`);
  const rows: RowResult[] = [];
  if (options.rows.has('1') || options.rows.has('2') || options.rows.has('3'))
    rows.push(...(await inProcessRows(options)));
  if (options.rows.has('4')) rows.push(...(await endToEndRow(options.endToEnd, cleanEnv, log)));
  if (options.rows.has('5')) rows.push(...(await coldStartRow(ROOT, options.coldStart, log)));
  const seconds = (Date.now() - started) / 1000;

  const footer = `${machineLine(machine)}; ${options.quick ? '--quick, ' : ''}${seconds.toFixed(0)} s`;
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
  // Handler modules keep connections and keep-alive sockets open for their "container"'s life.
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
