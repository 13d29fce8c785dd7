/**
 * Small, strict readers for environment configuration. Each function's config module uses these
 * once, at cold start, so a bad setting fails the first invocation with a message naming the
 * variable rather than failing some later record in an obscure way.
 */
import { ConfigError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** A required, non-empty string. */
export function requiredString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required but is not set`);
  return value;
}

/** An optional string: undefined when unset or blank. */
export function optionalString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** An integer within [min, max], or the default when unset. */
export function integer(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A comma-separated list; empty entries dropped. */
export function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Where the AWS clients point: the SDK's own endpoint variables, so local and cloud differ only by env. */
export interface AwsConfig {
  region: string;
  kinesisEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  /** The failures bucket's endpoint (locally fauxqs, which serves S3 beside SQS); absent in most tests. */
  s3Endpoint?: string | undefined;
  /** The API key store's endpoint (locally the stack's SSM stand-in); absent in most tests. */
  ssmEndpoint?: string | undefined;
  /**
   * How Kinesis calls name a stream given by ARN: `arn` (what cross-account access needs) or `name`
   * (for endpoints that know no StreamARN parameter, such as kinesalite). `KINESIS_STREAM_ADDRESSING`;
   * default `name` when a Kinesis endpoint is set, else `arn`.
   */
  streamAddressing: 'arn' | 'name';
}

/** An optional http(s) URL; a malformed one is a config error now, not a retryable failure on every call later. */
function endpoint(env: Env, name: string): string | undefined {
  const value = optionalString(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigError(`${name} must be a URL such as http://127.0.0.1:4567, got ${JSON.stringify(value)}`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${name} must be an http or https URL, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * @example
 * const aws = readAwsConfig(process.env); // { region: 'eu-west-1', kinesisEndpoint: undefined, ..., streamAddressing: 'arn' }
 */
export function readAwsConfig(env: Env): AwsConfig {
  const kinesisEndpoint = endpoint(env, 'AWS_ENDPOINT_URL_KINESIS') ?? endpoint(env, 'AWS_ENDPOINT_URL');
  const addressing = optionalString(env, 'KINESIS_STREAM_ADDRESSING');
  if (addressing !== undefined && addressing !== 'arn' && addressing !== 'name') {
    throw new ConfigError(`KINESIS_STREAM_ADDRESSING must be arn or name, got ${JSON.stringify(addressing)}`);
  }
  return {
    region: optionalString(env, 'AWS_REGION') ?? optionalString(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    kinesisEndpoint,
    sqsEndpoint: endpoint(env, 'AWS_ENDPOINT_URL_SQS') ?? endpoint(env, 'AWS_ENDPOINT_URL'),
    s3Endpoint: endpoint(env, 'AWS_ENDPOINT_URL_S3') ?? endpoint(env, 'AWS_ENDPOINT_URL'),
    ssmEndpoint: endpoint(env, 'AWS_ENDPOINT_URL_SSM') ?? endpoint(env, 'AWS_ENDPOINT_URL'),
    streamAddressing: addressing ?? (kinesisEndpoint === undefined ? 'arn' : 'name'),
  };
}
