/**
 * `npm run replay -- [--local | --stage <stage> [--invoke]] [options]`: the operator's way back from
 * the dead-letter queue. Shows a progress bar while it works and a table when done (`--json` for
 * machines).
 *
 *   --local              the local stack (reads .local/stack.json written by `npm start`)
 *   --stage <stage>      a deployed stage, with your AWS credentials: finds the queue from the stack's
 *                        outputs and replays from here; add --invoke to run the deployed `replay`
 *                        function instead, again and again until the queue has nothing left for it
 *   --region R           where the stage is (with --stage); else AWS_REGION, AWS_DEFAULT_REGION or the
 *                        profile's region
 *   --profile P          the AWS profile to use (with --stage); else AWS_PROFILE or the default chain
 *   --queue-url <url>    the queue, when you know it (skips the stack lookup)
 *   --dry-run  --max-messages N  --max-records N  --rate N (records/s)  --reason R (repeatable)
 *   --shard ID (repeatable)  --since T  --until T  --target STREAM  --drop-expired  --json
 *   --peek               change nothing: list what the DLQ holds, grouped by kind, reason (or Lambda's
 *                        condition), shard and hour, with counts and a few decoded sample records
 *                        (reads up to --max-messages, default 1000; --samples N, default 5)
 *   --from-checkpoints [--rewind SECONDS]   instead of draining the DLQ, fill the gap after a re-created
 *                        trigger: read each shard from the consumer's checkpoint to now and write through
 *                        the consumer's path (deployed stages: with --invoke, which runs the `fill` function,
 *                        as it has the database).
 *                        A fill honours --dry-run, --shard, --rate and --rewind; the drain-only options
 *                        are refused (lib/replay/request.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';
import { readAwsConfig, type AwsConfig } from '../lib/config';
import { errorMessage } from '../lib/errors';
import { createObservability } from '../lib/lambda/observability';
import { createS3Client } from '../lib/aws/s3Client';
import { replayDeps } from '../lib/replay/deps';
import { fillSetup } from '../lib/replay/fillDeps';
import { fillFromCheckpoints, type FillReport } from '../lib/replay/fillFromCheckpoints';
import { replayQueue, type ReplayReport } from '../lib/replay/replayQueue';
import { parseReplayRequest, type DrainRequest } from '../lib/replay/request';
import { peekQueue, type PeekReport } from './replay/peek';
import { awsClientConfig, credentialsAccount, resolvedRegion } from './stage/awsTarget';

const SERVICE = 'telemetry-pipeline';
/** A run from a laptop has no Lambda timeout; bound it anyway so a stuck run ends on its own. */
const CLI_RUN_LIMIT_MS = 6 * 60 * 60 * 1000;
/** The deployed function is invoked at most this many times per CLI run. */
const MAX_INVOCATIONS = 1_000;

const { values } = parseArgs({
  options: {
    local: { type: 'boolean' },
    stage: { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
    invoke: { type: 'boolean' },
    'queue-url': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'max-messages': { type: 'string' },
    'max-records': { type: 'string' },
    rate: { type: 'string' },
    reason: { type: 'string', multiple: true },
    shard: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    target: { type: 'string' },
    'drop-expired': { type: 'boolean' },
    'from-checkpoints': { type: 'boolean' },
    rewind: { type: 'string' },
    peek: { type: 'boolean' },
    samples: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

function number(flag: string): number | undefined {
  const raw = values[flag as keyof typeof values];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${flag} must be a number, got ${String(raw)}`);
  return value;
}

/** The flags as the function's invocation payload; `parseReplayRequest` checks it. */
function request(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (values['dry-run']) out.dryRun = true;
  if (values['drop-expired']) out.dropExpired = true;
  const maxMessages = number('max-messages');
  const maxRecords = number('max-records');
  const rate = number('rate');
  if (maxMessages !== undefined) out.maxMessages = maxMessages;
  if (maxRecords !== undefined) out.maxRecords = maxRecords;
  if (rate !== undefined) out.recordsPerSecond = rate;
  if (values.reason) out.reasons = values.reason;
  if (values.shard) out.shardIds = values.shard;
  if (values.since) out.since = /^\d+$/.test(values.since) ? Number(values.since) : values.since;
  if (values.until) out.until = /^\d+$/.test(values.until) ? Number(values.until) : values.until;
  if (values.target) out.targetStream = values.target;
  if (values['from-checkpoints']) out.fromCheckpoints = true;
  const rewind = number('rewind');
  if (rewind !== undefined) out.rewindSeconds = rewind;
  return out;
}

interface Target {
  aws: AwsConfig;
  queueUrl: string;
}

async function localTarget(): Promise<Target> {
  const file = path.resolve('.local', 'stack.json');
  let stack: {
    region: string;
    kinesisEndpoint: string;
    sqsEndpoint: string;
    s3Endpoint?: string;
    dlqUrl: string;
    databaseUrl: string;
    streamArn: string;
  };
  try {
    stack = JSON.parse(await readFile(file, 'utf8')) as typeof stack;
  } catch (error) {
    throw new Error(`cannot read ${file}: is \`npm start\` running? (${errorMessage(error)})`, { cause: error });
  }
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // What the replay function would have in its environment, for the fill-from-checkpoints mode.
  Object.assign(process.env, {
    AWS_REGION: stack.region,
    AWS_ENDPOINT_URL_KINESIS: stack.kinesisEndpoint,
    AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint,
    // A stack file from before the failures bucket has no s3Endpoint: fauxqs serves S3 on its SQS port.
    AWS_ENDPOINT_URL_S3: stack.s3Endpoint ?? stack.sqsEndpoint,
    DATABASE_URL: stack.databaseUrl,
    DLQ_URL: stack.dlqUrl,
    TELEMETRY_STREAM_ARN: stack.streamArn,
  });
  return { aws: readAwsConfig(process.env), queueUrl: stack.dlqUrl };
}

/**
 * The stage's AWS settings with the region --region or the SDK's chain gives (AWS_REGION, then
 * AWS_DEFAULT_REGION, then the profile's region) rather than readAwsConfig's us-east-1 fallback, which
 * suits Lambda (where AWS_REGION is always set) but would send a laptop's run to a region nobody asked for.
 */
async function stageAwsConfig(): Promise<AwsConfig> {
  // lib's clients are built from AwsConfig, which has no profile: the SDK's chain reads it from here.
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const flags = { region: values.region || undefined, profile: values.profile || undefined };
  const region = await resolvedRegion(new CloudFormationClient(awsClientConfig(flags, process.env)));
  return { ...readAwsConfig(process.env), region };
}

/** DescribeStacks names a stack that does not exist in a ValidationError, not in an error of its own. */
function isMissingStack(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message);
}

async function stageQueueUrl(stage: string, aws: AwsConfig): Promise<string> {
  const cloudFormation = new CloudFormationClient({ region: aws.region });
  const stack = `${SERVICE}-${stage}`;
  let Stacks: Stack[];
  try {
    ({ Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack })));
  } catch (error) {
    if (!isMissingStack(error)) throw error;
    const account = await credentialsAccount(cloudFormation).catch(() => undefined);
    throw new Error(
      `stack ${stack} not found in ${aws.region}${account ? ` (account ${account})` : ''}: ` +
        'deploy the stage, or pass --region/--profile for where it is',
      { cause: error },
    );
  }
  const url = Stacks[0]?.Outputs?.find((o) => o.OutputKey === 'DeadLetterQueueUrl')?.OutputValue;
  if (!url)
    throw new Error(
      `stack ${SERVICE}-${stage} has no DeadLetterQueueUrl output: is the stage deployed in ${aws.region}?`,
    );
  return url;
}

async function queueDepth(target: Target): Promise<number> {
  const { sqs } = replayDeps(target.aws);
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: target.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

function progressBar(total: number): SingleBar | undefined {
  if (values.json || !process.stderr.isTTY) return undefined;
  const bar = new SingleBar(
    {
      format: 'replay |{bar}| {value}/{total} messages | {records} records | {eta_formatted} left',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0, { records: 0 });
  return bar;
}

function merge(total: ReplayReport | undefined, next: ReplayReport): ReplayReport {
  if (!total) return next;
  return {
    ...next,
    messagesSeen: total.messagesSeen + next.messagesSeen,
    replayed: total.replayed + next.replayed,
    expired: total.expired + next.expired,
    failed: total.failed + next.failed,
    skipped: total.skipped + next.skipped,
    unreadable: total.unreadable + next.unreadable,
    ignored: total.ignored + next.ignored,
    recordsReplayed: total.recordsReplayed + next.recordsReplayed,
    recordsFrom: {
      inline: total.recordsFrom.inline + next.recordsFrom.inline,
      s3: total.recordsFrom.s3 + next.recordsFrom.s3,
      reRead: total.recordsFrom.reRead + next.recordsFrom.reRead,
    },
    recordsLostToRetention: total.recordsLostToRetention + next.recordsLostToRetention,
    durationMs: total.durationMs + next.durationMs,
    problems: [...total.problems, ...next.problems],
  };
}

async function invokeOnce<T>(stage: string, aws: AwsConfig, fn: 'replay' | 'fill' = 'replay'): Promise<T> {
  const lambda = new LambdaClient({ region: aws.region });
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: `${SERVICE}-${stage}-${fn}`, Payload: Buffer.from(JSON.stringify(request())) }),
  );
  const text = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
  if (response.FunctionError) throw new Error(`replay function failed: ${text}`);
  return JSON.parse(text) as T;
}

async function invokeUntilDone(stage: string, aws: AwsConfig, bar: SingleBar | undefined): Promise<ReplayReport> {
  let total: ReplayReport | undefined;
  for (let i = 0; i < MAX_INVOCATIONS; i += 1) {
    const report = await invokeOnce<ReplayReport>(stage, aws);
    total = merge(total, report);
    bar?.update(total.messagesSeen, { records: total.recordsReplayed });
    // Only a run cut short by its deadline leaves work it could do; anything else is the end.
    if (report.stoppedBecause !== 'deadline' || report.messagesSeen === 0) break;
  }
  if (!total) throw new Error('the replay function was never invoked');
  return total;
}

/** Colours only on a terminal: piped into a file or a ticket, escape codes are noise. */
function tableStyle(): { head: string[]; border: string[] } | undefined {
  return process.stdout.isTTY ? undefined : { head: [], border: [] };
}

function printTable(report: ReplayReport, where: string): void {
  const table = new Table({ head: ['replay', where + (report.dryRun ? ' (dry run)' : '')], style: tableStyle() });
  table.push(
    ['messages seen', report.messagesSeen],
    ['replayed', report.replayed],
    ['expired', report.expired],
    ['failed', report.failed],
    ['skipped by filter', report.skipped],
    ['unreadable', report.unreadable],
    ['S3 test events dropped', report.ignored],
    ['records replayed', report.recordsReplayed],
    ['  from the message', report.recordsFrom.inline],
    ['  from the failures bucket', report.recordsFrom.s3],
    ['  re-read from the stream', report.recordsFrom.reRead],
    ['records lost to retention', report.recordsLostToRetention],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
    ['stopped because', report.stoppedBecause],
  );
  console.log(table.toString());
  for (const problem of report.problems.slice(0, 20)) console.log(`  - ${problem}`);
  if (report.problems.length > 20) console.log(`  ... and ${report.problems.length - 20} more`);
}

function printPeek(report: PeekReport, where: string, queueUrl: string): void {
  const table = new Table({
    head: ['kind', 'reason / condition', 'shard', 'hour (UTC)', 'messages', 'records'],
    style: tableStyle(),
  });
  for (const g of report.groups) table.push([g.kind, g.reason, g.shardId, g.hour, g.messages, g.records]);
  console.log(`${where}: ${queueUrl}`);
  console.log(table.toString());
  const records = report.groups.reduce((n, g) => n + g.records, 0);
  console.log(
    `  ${report.messages} message(s), ${records} record(s)` +
      (report.truncated ? ' (the first ones only: raise --max-messages to read more)' : '') +
      '; nothing was changed',
  );
  if (report.samples.length > 0) console.log('samples:');
  for (const sample of report.samples) console.log(`  [${sample.reason}] ${sample.partitionKey}: ${sample.data}`);
  for (const line of report.unreadable.slice(0, 20)) console.log(`  unreadable: ${line}`);
  if (report.unreadable.length > 20) console.log(`  ... and ${report.unreadable.length - 20} more unreadable`);
}

async function peek(target: Target, where: string): Promise<void> {
  const samples = number('samples');
  const report = await peekQueue(
    { sqs: replayDeps(target.aws).sqs, s3: createS3Client(target.aws) },
    {
      queueUrl: target.queueUrl,
      maxMessages: number('max-messages') ?? 1000,
      ...(samples !== undefined ? { samples } : {}),
      deadline: Date.now() + CLI_RUN_LIMIT_MS,
    },
  );
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printPeek(report, where, target.queueUrl);
}

function printFill(report: FillReport): void {
  const written = report.dryRun ? 'would write' : 'written';
  const table = new Table({
    head: ['shard', 'from', 'read', written, 'duplicates', 'poison', 'complete'],
    style: tableStyle(),
  });
  for (const shard of report.shards)
    table.push([
      shard.shardId,
      shard.from,
      shard.read,
      shard.written,
      shard.duplicates,
      shard.poison,
      shard.incomplete ? 'no' : 'yes',
    ]);
  console.log(table.toString());
  console.log(
    `  ${report.dryRun ? 'dry run: nothing written, nothing sent; ' : ''}records that arrived after ${report.until} are left to the trigger; took ${(report.durationMs / 1000).toFixed(1)} s`,
  );
}

async function main(): Promise<void> {
  if (values.help) {
    console.log((await readFile(__filename, 'utf8')).split('*/')[0]?.replace(/^\/\*\*|^ \* ?/gm, ''));
    return;
  }
  if (!values.local && !values.stage) throw new Error('say where: --local, or --stage <stage> (see --help)');
  if (values.local && (values.region || values.profile))
    throw new Error('--region and --profile go with --stage: --local reads .local/stack.json');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (values.peek) {
    if (values.invoke || values['from-checkpoints'] || values['dry-run'])
      throw new Error('--peek changes nothing and runs here: it takes no --invoke, --from-checkpoints or --dry-run');
    if (values.local) {
      const target = await localTarget();
      return peek({ ...target, queueUrl: values['queue-url'] ?? target.queueUrl }, 'local');
    }
    const stage = values.stage as string;
    const aws = await stageAwsConfig();
    return peek({ aws, queueUrl: values['queue-url'] ?? (await stageQueueUrl(stage, aws)) }, `stage ${stage}`);
  }
  let report: ReplayReport;
  let where: string;
  // Checked here as the function checks it, so a bad combination fails before anything is read.
  const parsed = parseReplayRequest(request());
  if (parsed.operation === 'fill' && !values.invoke) {
    if (!values.local) throw new Error('--from-checkpoints on a deployed stage runs inside the function: add --invoke');
    await localTarget();
    const { operation: _operation, ...fillRequest } = parsed;
    const setup = fillSetup(
      process.env,
      {},
      createObservability('replay', { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' }),
    );
    let fill: FillReport;
    try {
      fill = await fillFromCheckpoints(setup.deps, {
        ...setup.target,
        ...fillRequest,
        deadline: Date.now() + CLI_RUN_LIMIT_MS,
      });
    } finally {
      await setup.db.close();
    }
    if (values.json) console.log(JSON.stringify(fill, null, 2));
    else printFill(fill);
    return;
  }
  const drain = parsed as DrainRequest;
  const drainOptions = (queueUrl: string) => {
    const { operation: _operation, ...rest } = drain;
    return { ...rest, queueUrl, deadline: Date.now() + CLI_RUN_LIMIT_MS };
  };
  if (values.local) {
    const target = await localTarget();
    where = 'local';
    const bar = progressBar(await queueDepth(target));
    const options = drainOptions(values['queue-url'] ?? target.queueUrl);
    report = await replayQueue(replayDeps(target.aws), {
      ...options,
      onProgress: (r) => bar?.update(r.messagesSeen, { records: r.recordsReplayed }),
    });
    bar?.stop();
  } else {
    const stage = values.stage as string;
    const aws = await stageAwsConfig();
    where = `stage ${stage}`;
    const target: Target = { aws, queueUrl: values['queue-url'] ?? (await stageQueueUrl(stage, aws)) };
    const bar = progressBar(await queueDepth(target));
    if (values.invoke && values['from-checkpoints']) {
      bar?.stop();
      const fill = await invokeOnce<FillReport>(stage, aws, 'fill');
      if (values.json) console.log(JSON.stringify(fill, null, 2));
      else printFill(fill);
      return;
    }
    if (values.invoke) {
      report = await invokeUntilDone(stage, aws, bar);
    } else {
      const options = drainOptions(target.queueUrl);
      report = await replayQueue(replayDeps(aws), {
        ...options,
        onProgress: (r) => bar?.update(r.messagesSeen, { records: r.recordsReplayed }),
      });
    }
    bar?.stop();
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report, where);
  if (report.failed > 0 || report.unreadable > 0) process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(`replay: ${errorMessage(error)}`);
  process.exit(1);
});
