/** The consumer's settings, read once at cold start; a bad value fails the first invocation by name. */
import { integer, optionalString, readAwsConfig, requiredString, type AwsConfig, type Env } from '../config';
import { readDatabaseConfig, type DatabaseConfig } from '../db/config';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../dlq/recordMessage';

export interface ConsumerConfig {
  aws: AwsConfig;
  database: DatabaseConfig;
  dlqUrl: string;
  /** The DLQ's MaximumMessageSize: SQS allows 1 KiB to 1 MiB. */
  dlqMaxMessageBytes: number;
  functionName: string;
  /** Stop bisecting and return a checkpoint when less than this is left before the Lambda timeout. */
  deadlineMarginMs: number;
}

/**
 * @param defaultFunctionName named in dead letters and pg_stat_activity when AWS_LAMBDA_FUNCTION_NAME is unset.
 * @example
 * const config = readConsumerConfig(process.env);
 */
export function readConsumerConfig(env: Env, defaultFunctionName = 'consumer'): ConsumerConfig {
  return {
    aws: readAwsConfig(env),
    database: readDatabaseConfig(env),
    dlqUrl: requiredString(env, 'DLQ_URL'),
    dlqMaxMessageBytes: integer(env, 'DLQ_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1_024, 1_048_576),
    functionName: optionalString(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? defaultFunctionName,
    deadlineMarginMs: integer(env, 'CONSUMER_DEADLINE_MARGIN_MS', 5_000, 0, 600_000),
  };
}
