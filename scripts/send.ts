/**
 * `npm run send -- --rate N --duration S [options]`: a load client for the local stack (or any
 * deployment of the API). POSTs realistic telemetry in batches, paced to a rate, for a bounded time,
 * shows progress on a terminal and ends with a table of what it sent and what the API answered.
 * Options: `--help` (HELP below). The engine is local/src/load (`runLoad`), shared with the tests
 * and the benchmarks.
 *
 * Records Postgres rejects cannot come through HTTP (ingest refuses U+0000 itself); `--poison` puts
 * such records straight on the stream, as a producer bypassing ingest would, using the stack file's
 * Kinesis endpoint.
 *
 * Exit code 1 when a request got no answer or a 5xx, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { createKinesisClient } from '../lib/aws/kinesisClient';
import {
  DEFAULT_STACK_FILE,
  formatStats,
  progressLine,
  readStackFile,
  runLoad,
  type LoadOptions,
  type StackFile,
} from '../local/src/load';

const USAGE =
  'usage: npm run send -- [--rate N] [--duration S] [--events N] [--batch N] [--concurrency N] [--malformed F] [--poison F] [--sources N] [--seed N] [--url URL --key KEY] [--stack FILE] [--timeout MS] [--json]';
const HELP = `${USAGE}

POSTs realistic telemetry to /telemetry in batches, paced to --rate, for at most --duration seconds,
then prints what it sent and what the API answered.

  --rate N           events per second (default 500)
  --duration S       seconds; no request starts after this (default 10)
  --events N         events in all (default rate x duration; fewer if the duration runs out first)
  --batch N          events per POST (default 100)
  --concurrency N    most requests in flight (default 8)
  --malformed F      share of items (0-1) made malformed; ingest refuses them item by item
  --poison F         also put about F poison records per event straight on the stream (U+0000 in the
                     payload: ingest would refuse it, Postgres rejects it, the consumer dead-letters it)
  --sources N        distinct function names (default 12)
  --seed N           same seed, same events
  --url URL --key K  the API and its key (default: from the stack file written by \`npm start\`)
  --stack FILE       the stack file (default .local/stack.json)
  --timeout MS       per request (default 30000)
  --json             the stats as JSON instead of a table`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  rate: { type: 'string', default: '500' },
  duration: { type: 'string', default: '10' },
  events: { type: 'string' },
  batch: { type: 'string', default: '100' },
  concurrency: { type: 'string', default: '8' },
  malformed: { type: 'string', default: '0' },
  poison: { type: 'string', default: '0' },
  sources: { type: 'string', default: '12' },
  seed: { type: 'string' },
  url: { type: 'string' },
  key: { type: 'string' },
  stack: { type: 'string', default: DEFAULT_STACK_FILE },
  timeout: { type: 'string', default: '30000' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
type NumberFlag =
  | 'rate'
  | 'duration'
  | 'events'
  | 'batch'
  | 'concurrency'
  | 'malformed'
  | 'poison'
  | 'sources'
  | 'seed'
  | 'timeout';

function parseFlags(): Flags {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    // Unknown or malformed flags: a usage error, not a stack trace.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function number(values: Flags, flag: NumberFlag, integer = false): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `--${flag} must be ${integer ? 'a whole number' : 'a number'} >= 0, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

async function options(values: Flags, signal: AbortSignal): Promise<LoadOptions> {
  const poison = number(values, 'poison') ?? 0;
  const needStack = !values.url || !values.key || poison > 0;
  const stack: StackFile | undefined = needStack ? await readStackFile(values.stack) : undefined;
  const apiUrl = values.url ?? stack?.apiUrl;
  const apiKey = values.key ?? stack?.apiKey;
  if (!apiUrl || !apiKey) throw new UsageError('no API: pass --url and --key, or run `npm start` first');
  const out: LoadOptions = {
    apiUrl,
    apiKey,
    rate: number(values, 'rate') ?? 500,
    durationSeconds: number(values, 'duration') ?? 10,
    batchSize: number(values, 'batch', true) ?? 100,
    concurrency: number(values, 'concurrency', true) ?? 8,
    malformedFraction: number(values, 'malformed') ?? 0,
    sources: number(values, 'sources', true) ?? 12,
    requestTimeoutMs: number(values, 'timeout', true) ?? 30_000,
    signal,
  };
  const events = number(values, 'events', true);
  const seed = number(values, 'seed', true);
  if (events !== undefined) out.events = events;
  if (seed !== undefined) out.seed = seed;
  if (poison > 0 && stack) {
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    const kinesis = createKinesisClient({
      region: stack.region,
      kinesisEndpoint: stack.kinesisEndpoint,
      sqsEndpoint: undefined,
      streamAddressing: 'name',
    });
    out.poison = { fraction: poison, kinesis, stream: { streamName: stack.streamName } };
  }
  return out;
}

async function main(): Promise<number> {
  const values = parseFlags();
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const load = await options(values, controller.signal);
  const tty = process.stderr.isTTY && !values.json;
  if (tty) {
    load.onProgress = (stats) => process.stderr.write(`\r\x1b[2K${progressLine(stats)}`);
    process.stderr.write(
      `POST ${load.apiUrl}/telemetry: ${load.rate} events/s for ${load.durationSeconds} s, ${load.batchSize} per request\n`,
    );
  }
  const stats = await runLoad(load);
  load.poison?.kinesis.destroy();
  if (tty) process.stderr.write('\r\x1b[2K');
  process.stdout.write(
    values.json ? `${JSON.stringify(stats, null, 2)}\n` : `${formatStats(stats, process.stdout.isTTY)}\n`,
  );
  const serverErrors = Object.keys(stats.byStatus).some((status) => status.startsWith('5'));
  return stats.unanswered > 0 || serverErrors ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError || error instanceof RangeError;
    process.stderr.write(
      `send: ${error instanceof Error ? error.message : String(error)}\n${usage ? `${USAGE}\n` : ''}`,
    );
    process.exit(usage ? 2 : 1);
  },
);
