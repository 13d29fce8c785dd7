/**
 * One function's `stream` event from the resolved serverless config, turned into the emulator's
 * mapping options with the framework's own defaults (osls compiles a missing `batchSize` to 10 and
 * a missing `startingPosition` to TRIM_HORIZON), so local runs the configuration the cloud runs.
 */
import { ConfigError } from '../../lib/errors';
import { validateMapping } from '../../emulator/src';
import type { MappingOptions, StartingPosition } from '../../emulator/src';

/**
 * Turns a value of `arn:` (a string, or a CloudFormation intrinsic such as
 * `{ 'Fn::GetAtt': ['TelemetryStream', 'Arn'] }`, which `serverless print` leaves unresolved) into an ARN.
 */
export type ArnResolver = (value: unknown, what: string) => string;

export interface ServerlessStreamMapping {
  streamArn: string;
  /** `enabled: false` in the config: the mapping exists but does not poll. */
  enabled: boolean;
  mapping: MappingOptions;
}

const KNOWN_KEYS = new Set([
  'arn',
  'type',
  'batchSize',
  'batchWindow',
  'maximumBatchingWindow',
  'startingPosition',
  'startingPositionTimestamp',
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'parallelizationFactor',
  'functionResponseType',
  'destinations',
  'enabled',
]);
/**
 * Valid in the framework, but their behaviour is not reproduced (emulator/README.md, "Not implemented"):
 * refuse rather than mislead. `consumer` is enhanced fan-out, whose throughput and delivery differ from polling.
 */
const NOT_EMULATED = new Set(['tumblingWindowInSeconds', 'filterPatterns', 'consumer']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalInteger(
  event: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  also: number[] = [],
): number {
  const value = event[key];
  if (value === undefined || value === null) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    ((value < min || value > max) && !also.includes(value))
  ) {
    const extra = also.length ? ` or ${also.join(', ')}` : '';
    throw new ConfigError(
      `stream event: ${key} must be an integer from ${min} to ${max}${extra}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalBoolean(event: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = event[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(`stream event: ${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function startingPosition(event: Record<string, unknown>): StartingPosition {
  const value = event.startingPosition ?? 'TRIM_HORIZON';
  if (value !== 'TRIM_HORIZON' && value !== 'LATEST' && value !== 'AT_TIMESTAMP') {
    throw new ConfigError(
      `stream event: startingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function onFailureArn(destinations: unknown, resolveArn: ArnResolver): string | undefined {
  if (destinations === undefined || destinations === null) return undefined;
  if (!isObject(destinations)) throw new ConfigError('stream event: destinations must be an object with onFailure');
  const unknown = Object.keys(destinations).filter((key) => key !== 'onFailure');
  if (unknown.length)
    throw new ConfigError(`stream event: destinations has unknown key(s) ${unknown.join(', ')} (only onFailure)`);
  const onFailure = destinations.onFailure;
  if (typeof onFailure === 'string') {
    if (!/^arn:aws[a-z-]*:sqs:/.test(onFailure))
      throw new ConfigError(
        `stream event: destinations.onFailure ${JSON.stringify(onFailure)} is not an SQS queue ARN (only SQS is emulated)`,
      );
    return onFailure;
  }
  if (!isObject(onFailure))
    throw new ConfigError('stream event: destinations.onFailure must be an ARN or { arn, type }');
  const unknownKeys = Object.keys(onFailure).filter((key) => key !== 'arn' && key !== 'type');
  if (unknownKeys.length)
    throw new ConfigError(`stream event: destinations.onFailure has unknown key(s) ${unknownKeys.join(', ')}`);
  if (onFailure.type !== undefined && onFailure.type !== 'sqs') {
    throw new ConfigError(
      `stream event: destinations.onFailure.type ${JSON.stringify(onFailure.type)} is not emulated (only sqs)`,
    );
  }
  const arn = resolveArn(onFailure.arn, 'destinations.onFailure.arn');
  if (!/^arn:aws[a-z-]*:sqs:/.test(arn))
    throw new ConfigError(
      `stream event: destinations.onFailure.arn resolved to ${JSON.stringify(arn)}, not an SQS queue ARN`,
    );
  return arn;
}

/**
 * @example
 * const config = await loadServerlessConfig({ stage: 'local' });
 * const { streamArn, mapping } = mappingFromServerlessEvent(config.functions.consumer.events[0].stream, { resolveArn });
 */
export function mappingFromServerlessEvent(
  stream: unknown,
  options: { resolveArn: ArnResolver },
): ServerlessStreamMapping {
  if (typeof stream !== 'string' && !isObject(stream))
    throw new ConfigError(`stream event must be an ARN or an object, got ${JSON.stringify(stream)}`);
  const event: Record<string, unknown> = typeof stream === 'string' ? { arn: stream } : stream;
  for (const key of Object.keys(event)) {
    if (NOT_EMULATED.has(key))
      throw new ConfigError(`stream event: ${key} is valid for the framework but not emulated locally`);
    if (!KNOWN_KEYS.has(key))
      throw new ConfigError(`stream event: unknown key ${JSON.stringify(key)} (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  if (event.type !== undefined && event.type !== 'kinesis') {
    throw new ConfigError(`stream event: type ${JSON.stringify(event.type)} is not emulated (only kinesis)`);
  }
  const streamArn = options.resolveArn(event.arn, 'arn');
  if (!/^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/.+$/.test(streamArn)) {
    throw new ConfigError(`stream event: arn resolved to ${JSON.stringify(streamArn)}, not a Kinesis stream ARN`);
  }
  const responseType = event.functionResponseType;
  if (responseType !== undefined && responseType !== null && responseType !== 'ReportBatchItemFailures') {
    throw new ConfigError(
      `stream event: functionResponseType must be ReportBatchItemFailures, got ${JSON.stringify(responseType)}`,
    );
  }
  if (event.batchWindow !== undefined && event.maximumBatchingWindow !== undefined) {
    throw new ConfigError('stream event: give batchWindow or maximumBatchingWindow, not both');
  }
  const position = startingPosition(event);
  const timestamp = event.startingPositionTimestamp;
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp))) {
    throw new ConfigError(
      `stream event: startingPositionTimestamp must be epoch seconds, got ${JSON.stringify(timestamp)}`,
    );
  }
  const queueArn = onFailureArn(event.destinations, options.resolveArn);

  const mapping: MappingOptions = {
    batchSize: optionalInteger(event, 'batchSize', 10, 1, 10_000),
    maximumBatchingWindowInSeconds: optionalInteger(
      event,
      event.maximumBatchingWindow !== undefined ? 'maximumBatchingWindow' : 'batchWindow',
      0,
      0,
      300,
    ),
    startingPosition: position,
    ...(typeof timestamp === 'number' ? { startingPositionTimestamp: timestamp } : {}),
    maximumRetryAttempts: optionalInteger(event, 'maximumRetryAttempts', -1, 0, 10_000, [-1]),
    // AWS's range (60 s to 7 days, or -1); the emulator itself also takes shorter ones for tests.
    maximumRecordAgeInSeconds: optionalInteger(event, 'maximumRecordAgeInSeconds', -1, 60, 604_800, [-1]),
    bisectBatchOnFunctionError: optionalBoolean(event, 'bisectBatchOnFunctionError', false),
    parallelizationFactor: optionalInteger(event, 'parallelizationFactor', 1, 1, 10),
    reportBatchItemFailures: responseType === 'ReportBatchItemFailures',
    ...(queueArn ? { onFailure: { queueArn } } : {}),
  };
  return { streamArn, enabled: optionalBoolean(event, 'enabled', true), mapping: validateMapping(mapping) };
}
