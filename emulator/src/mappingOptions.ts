/**
 * Validation of the mapping settings the emulator is started with, so a typo fails at start with
 * the setting's name rather than as odd behaviour minutes later.
 */
import { EmulatorConfigError } from './errors';
import type { MappingOptions, StartingPosition } from './types';

const STARTING_POSITIONS: readonly StartingPosition[] = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'];

function integerIn(name: string, value: number, min: number, max: number, also: number[] = []): void {
  if (!Number.isInteger(value) || ((value < min || value > max) && !also.includes(value))) {
    const extra = also.length ? ` (or ${also.join(', ')})` : '';
    throw new EmulatorConfigError(
      `${name} must be an integer from ${min} to ${max}${extra}, got ${JSON.stringify(value)}`,
    );
  }
}

function boolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean')
    throw new EmulatorConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Throws a `EmulatorConfigError` naming the first setting out of range; returns the options unchanged.
 *
 * @example
 * const mapping = validateMapping({ batchSize: 100, maximumBatchingWindowInSeconds: 0, startingPosition: 'TRIM_HORIZON',
 *   maximumRetryAttempts: 2, maximumRecordAgeInSeconds: -1, bisectBatchOnFunctionError: true,
 *   parallelizationFactor: 1, reportBatchItemFailures: true });
 */
export function validateMapping(mapping: MappingOptions): MappingOptions {
  integerIn('batchSize', mapping.batchSize, 1, 10_000);
  integerIn('maximumBatchingWindowInSeconds', mapping.maximumBatchingWindowInSeconds, 0, 300);
  if (!STARTING_POSITIONS.includes(mapping.startingPosition)) {
    throw new EmulatorConfigError(
      `startingPosition must be one of ${STARTING_POSITIONS.join(', ')}, got ${JSON.stringify(mapping.startingPosition)}`,
    );
  }
  if (mapping.startingPosition === 'AT_TIMESTAMP') {
    const at = mapping.startingPositionTimestamp;
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) {
      throw new EmulatorConfigError(
        'startingPositionTimestamp (epoch seconds) is required with startingPosition AT_TIMESTAMP',
      );
    }
  }
  integerIn('maximumRetryAttempts', mapping.maximumRetryAttempts, 0, 10_000, [-1]);
  integerIn('maximumRecordAgeInSeconds', mapping.maximumRecordAgeInSeconds, 1, 604_800, [-1]);
  boolean('bisectBatchOnFunctionError', mapping.bisectBatchOnFunctionError);
  integerIn('parallelizationFactor', mapping.parallelizationFactor, 1, 10);
  boolean('reportBatchItemFailures', mapping.reportBatchItemFailures);
  const target = mapping.onFailure;
  if (target && 'bucketArn' in target) {
    if (!/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(target.bucketArn))
      throw new EmulatorConfigError(
        `onFailure.bucketArn must be an S3 bucket ARN, got ${JSON.stringify(target.bucketArn)}`,
      );
  } else if (target) {
    if (!/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(target.queueArn))
      throw new EmulatorConfigError(
        `onFailure.queueArn must be an SQS queue ARN, got ${JSON.stringify(target.queueArn)}`,
      );
    // AWS documents no FIFO queue as an on-failure destination, and Lambda's on-failure SendMessage
    // carries no MessageGroupId, which a FIFO queue refuses: the shard would wait forever.
    if (target.queueArn.endsWith('.fifo'))
      throw new EmulatorConfigError(
        `onFailure.queueArn names a FIFO queue (${target.queueArn}): use a standard queue as the on-failure destination`,
      );
  }
  return mapping;
}
