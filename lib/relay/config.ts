/** The relay's settings, read once at cold start; a bad target fails the first invocation by name. */
import { integer, list, optionalString, readAwsConfig, requiredString, type AwsConfig, type Env } from '../config';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../dlq/recordMessage';
import { ConfigError } from '../errors';
import { DEFAULT_PUT_CONCURRENCY } from '../kinesis/putConcurrently';
import { streamResolver, type ResolvedStream } from '../kinesis/streamRef';

export interface RelayConfig {
  aws: AwsConfig;
  /** Where every record goes: names (this region) or ARNs (any region or account). */
  targets: ResolvedStream[];
  dlqUrl: string;
  dlqMaxMessageBytes: number;
  functionName: string;
  /** Stop putting this long before the Lambda timeout and report what is left as batchItemFailures. */
  deadlineMarginMs: number;
  /** Most PutRecords calls in flight per target (lib/kinesis/putConcurrently.ts); fewer while it throttles. */
  putConcurrency: number;
}

/**
 * @example
 * const config = readRelayConfig(process.env);
 */
export function readRelayConfig(env: Env): RelayConfig {
  const aws = readAwsConfig(env);
  const targets = list(env, 'RELAY_TARGETS').map(streamResolver(aws));
  if (targets.length === 0) throw new ConfigError('RELAY_TARGETS must name at least one stream (name or ARN)');
  return {
    aws,
    targets,
    dlqUrl: requiredString(env, 'DLQ_URL'),
    dlqMaxMessageBytes: integer(env, 'DLQ_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1_024, 1_048_576),
    functionName: optionalString(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'relay',
    deadlineMarginMs: integer(env, 'RELAY_DEADLINE_MARGIN_MS', 3_000, 0, 600_000),
    putConcurrency: integer(env, 'PUT_CONCURRENCY', DEFAULT_PUT_CONCURRENCY, 1, 64),
  };
}
