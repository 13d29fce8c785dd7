/**
 * Reads the stream mappings out of `serverless.yml` as the framework resolves it for a stage
 * (`serverless print`), so the local emulator runs the very settings that get deployed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from '../../lib/errors';
import { mappingFromServerlessEvent, type ArnResolver } from './serverlessEvent';
import { validateMapping, type MappingOptions } from '../../emulator/src';

const run = promisify(execFile);

/** The parts of the resolved config the emulator reads. */
export interface ResolvedServerlessConfig {
  service?: unknown;
  provider?: { region?: unknown; stage?: unknown; timeout?: unknown; memorySize?: unknown };
  functions?: Record<
    string,
    { handler?: unknown; name?: unknown; timeout?: unknown; memorySize?: unknown; events?: unknown }
  >;
  resources?: {
    Resources?: Record<string, { Type?: unknown; Properties?: Record<string, unknown> }>;
    /** What the framework merges into the resources it generates (here: a mapping's DestinationConfig). */
    extensions?: Record<string, { Properties?: Record<string, unknown> }>;
  };
}

export interface StreamFunctionMapping {
  /** The key under `functions:`, e.g. `consumer`. */
  functionKey: string;
  /** The deployed name, e.g. `telemetry-pipeline-local-consumer`. */
  functionName: string;
  functionArn: string;
  /**
   * The execution role the records' `invokeIdentityArn` names: the one role the framework makes,
   * `<service>-<stage>-<region>-lambdaRole`.
   */
  roleArn: string;
  /** `handlers/consumer.handler`: module path without extension, then the export name. */
  handler: string;
  timeoutSeconds: number;
  memorySizeMb: number;
  streamArn: string;
  streamName: string;
  enabled: boolean;
  mapping: MappingOptions;
}

/** kinesalite and fauxqs both use this account id. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** The framework's default function timeout. */
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY_MB = 1024;

/**
 * Runs `serverless print --format json` (osls; offline, 2-3 s). Not covered by tests: it only
 * shells out; what it returns is converted by `streamMappingsFromConfig`, which is.
 *
 * @example
 * const config = await loadServerlessConfig({ cwd: process.cwd(), stage: 'local' });
 */
export async function loadServerlessConfig(
  options: { cwd?: string; stage?: string; params?: Record<string, string> } = {},
): Promise<ResolvedServerlessConfig> {
  const stage = options.stage ?? 'local';
  const params = Object.entries(options.params ?? {}).map(([name, value]) => `--param=${name}=${value}`);
  try {
    const args = ['--no-install', 'serverless', 'print', '--stage', stage, ...params, '--format', 'json'];
    const { stdout } = await run('npx', args, {
      cwd: options.cwd ?? process.cwd(),
      maxBuffer: 32 * 1024 * 1024,
      timeout: 120_000,
    });
    return JSON.parse(stdout) as ResolvedServerlessConfig;
  } catch (error) {
    throw new ConfigError(`serverless print --stage ${stage} failed`, { cause: error });
  }
}

function resourceName(config: ResolvedServerlessConfig, logicalId: string, type: string, property: string): string {
  const resource = config.resources?.Resources?.[logicalId];
  if (!resource) throw new ConfigError(`resources.Resources.${logicalId} does not exist`);
  if (resource.Type !== type)
    throw new ConfigError(`resources.Resources.${logicalId} is a ${String(resource.Type)}, expected ${type}`);
  const name = resource.Properties?.[property];
  if (typeof name !== 'string' || !name)
    throw new ConfigError(`resources.Resources.${logicalId} needs an explicit ${property} to be emulated locally`);
  return name;
}

/**
 * A bucket's name: a string, or an `Fn::Sub` of the account, region and partition (a bucket name is
 * global, so the template makes it unique with them).
 *
 * @example
 * localBucketName({ 'Fn::Sub': 'x-${AWS::AccountId}-${AWS::Region}' }, 'us-east-1', '000000000000'); // 'x-000000000000-us-east-1'
 */
export function localBucketName(name: unknown, region: string, accountId: string): string {
  const sub =
    typeof name === 'object' && name !== null ? (name as Record<string, unknown>)['Fn::Sub'] : (name as unknown);
  if (typeof sub !== 'string' || !sub)
    throw new ConfigError('an S3 bucket needs an explicit BucketName (a string or an Fn::Sub) to be emulated locally');
  const resolved = sub
    .replaceAll('${AWS::AccountId}', accountId)
    .replaceAll('${AWS::Region}', region)
    .replaceAll('${AWS::Partition}', 'aws');
  if (resolved.includes('${'))
    throw new ConfigError(`BucketName ${sub}: only account, region and partition are substituted locally`);
  return resolved;
}

/**
 * Resolves ARNs written as literal strings or as `Fn::GetAtt: [LogicalId, Arn]` of a stream, queue
 * or bucket defined under `resources:` with an explicit name (the local stack creates it by that name).
 *
 * @example
 * const resolveArn = localArnResolver(config, { region: 'us-east-1' });
 * resolveArn({ 'Fn::GetAtt': ['TelemetryStream', 'Arn'] }, 'arn'); // arn:aws:kinesis:us-east-1:000000000000:stream/...
 */
export function localArnResolver(
  config: ResolvedServerlessConfig,
  options: { region: string; accountId?: string },
): ArnResolver {
  const account = options.accountId ?? LOCAL_ACCOUNT_ID;
  return (value, what) => {
    if (typeof value === 'string') return value;
    const getAtt =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['Fn::GetAtt'] : undefined;
    const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : typeof getAtt === 'string' ? getAtt.split('.') : [];
    if (typeof logicalId !== 'string' || attribute !== 'Arn') {
      throw new ConfigError(
        `${what}: cannot resolve ${JSON.stringify(value)} locally (use an ARN string or Fn::GetAtt [LogicalId, Arn])`,
      );
    }
    const type = config.resources?.Resources?.[logicalId]?.Type;
    if (type === 'AWS::Kinesis::Stream') {
      return `arn:aws:kinesis:${options.region}:${account}:stream/${resourceName(config, logicalId, type, 'Name')}`;
    }
    if (type === 'AWS::SQS::Queue')
      return `arn:aws:sqs:${options.region}:${account}:${resourceName(config, logicalId, type, 'QueueName')}`;
    if (type === 'AWS::S3::Bucket') {
      const name = config.resources?.Resources?.[logicalId]?.Properties?.BucketName;
      return `arn:aws:s3:::${localBucketName(name, options.region, account)}`;
    }
    throw new ConfigError(
      `${what}: Fn::GetAtt ${logicalId}.Arn is not a Kinesis stream, an SQS queue or an S3 bucket under resources`,
    );
  };
}

/** The framework's name for a logical id part: first letter upper case, `-` and `_` spelled out. */
function normalizeName(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`.replaceAll('-', 'Dash').replaceAll('_', 'Underscore');
}

/**
 * The on-failure destination `resources.extensions` gives the mapping the framework generates for
 * this function and stream (`<Function>EventSourceMappingKinesis<StreamLogicalId>`), if any: that is
 * how a stage sends failed batches to S3, which the framework's `destinations` cannot express.
 */
function extensionDestination(
  config: ResolvedServerlessConfig,
  functionKey: string,
  streamArn: unknown,
  resolveArn: ArnResolver,
): MappingOptions['onFailure'] {
  const getAtt =
    typeof streamArn === 'object' && streamArn !== null
      ? (streamArn as Record<string, unknown>)['Fn::GetAtt']
      : undefined;
  const streamId = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
  if (typeof streamId !== 'string') return undefined;
  const id = `${normalizeName(functionKey)}EventSourceMappingKinesis${normalizeName(streamId)}`;
  const destinationConfig = config.resources?.extensions?.[id]?.Properties?.DestinationConfig as
    | { OnFailure?: { Destination?: unknown } }
    | undefined;
  const destination = destinationConfig?.OnFailure?.Destination;
  if (destination === undefined) return undefined;
  const arn = resolveArn(destination, `resources.extensions.${id}.Properties.DestinationConfig.OnFailure.Destination`);
  if (/^arn:aws[a-z-]*:s3:::/.test(arn)) return { bucketArn: arn };
  if (/^arn:aws[a-z-]*:sqs:/.test(arn)) return { queueArn: arn };
  throw new ConfigError(
    `resources.extensions.${id}: on-failure destination ${arn} is neither an S3 bucket nor an SQS queue`,
  );
}

function positiveNumber(value: unknown, fallback: number, what: string): number {
  if (value === undefined || value === null) return fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0)
    throw new ConfigError(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  return number;
}

/**
 * Every `stream` event of every function, converted; functions without one are left out.
 *
 * @example
 * const mappings = streamMappingsFromConfig(config, { region: 'us-east-1' });
 */
export function streamMappingsFromConfig(
  config: ResolvedServerlessConfig,
  options: { region?: string; accountId?: string; resolveArn?: ArnResolver } = {},
): StreamFunctionMapping[] {
  const region = options.region ?? (typeof config.provider?.region === 'string' ? config.provider.region : 'us-east-1');
  const account = options.accountId ?? LOCAL_ACCOUNT_ID;
  const resolveArn = options.resolveArn ?? localArnResolver(config, { region, accountId: account });
  const stage = typeof config.provider?.stage === 'string' ? config.provider.stage : 'local';
  const roleArn = `arn:aws:iam::${account}:role/${String(config.service)}-${stage}-${region}-lambdaRole`;
  const out: StreamFunctionMapping[] = [];
  for (const [functionKey, fn] of Object.entries(config.functions ?? {})) {
    const events = Array.isArray(fn.events) ? (fn.events as unknown[]) : [];
    events.forEach((event, index) => {
      if (typeof event !== 'object' || event === null || !('stream' in event)) return;
      const where = `functions.${functionKey}.events[${index}].stream`;
      let converted: ReturnType<typeof mappingFromServerlessEvent>;
      try {
        converted = mappingFromServerlessEvent((event as { stream: unknown }).stream, { resolveArn });
      } catch (error) {
        throw new ConfigError(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (typeof fn.handler !== 'string') throw new ConfigError(`functions.${functionKey}.handler must be a string`);
      const stream = (event as { stream: unknown }).stream;
      const extended = extensionDestination(
        config,
        functionKey,
        typeof stream === 'object' && stream !== null ? (stream as { arn?: unknown }).arn : undefined,
        resolveArn,
      );
      const functionName = typeof fn.name === 'string' ? fn.name : functionKey;
      out.push({
        functionKey,
        functionName,
        functionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
        roleArn,
        handler: fn.handler,
        timeoutSeconds: positiveNumber(
          fn.timeout ?? config.provider?.timeout,
          DEFAULT_TIMEOUT_SECONDS,
          `functions.${functionKey}.timeout`,
        ),
        memorySizeMb: positiveNumber(
          fn.memorySize ?? config.provider?.memorySize,
          DEFAULT_MEMORY_MB,
          `functions.${functionKey}.memorySize`,
        ),
        streamArn: converted.streamArn,
        streamName: converted.streamArn.split('/').slice(1).join('/'),
        enabled: converted.enabled,
        mapping: extended ? validateMapping({ ...converted.mapping, onFailure: extended }) : converted.mapping,
      });
    });
  }
  return out;
}
