/**
 * What an operator may ask of a replay (the `replay` function's invocation payload and the CLI's
 * flags), checked up front with messages that name the bad field.
 */
import type { ReplayFilter, ReplayOptions } from './replayQueue';

export class ReplayRequestError extends Error {
  override readonly name = 'ReplayRequestError';
  readonly code = 'INVALID_REPLAY_REQUEST';
}

/** The invocation payload, e.g. `{"dryRun":true,"maxMessages":100,"reasons":["db-rejected"]}`. */
export interface ReplayRequest {
  dryRun?: boolean;
  maxMessages?: number;
  maxRecords?: number;
  recordsPerSecond?: number;
  reasons?: string[];
  shardIds?: string[];
  /** ISO 8601 or epoch ms. */
  since?: string | number;
  until?: string | number;
  targetStream?: string;
  dropExpired?: boolean;
  /**
   * Instead of draining the DLQ: fill the gap after a re-created trigger, reading each shard from the
   * consumer's checkpoint to now and writing through the consumer's path.
   */
  fromCheckpoints?: boolean;
  /** With fromCheckpoints: start this many seconds before each checkpoint (parallelizationFactor > 1). */
  rewindSeconds?: number;
}

const KEYS = new Set(['dryRun', 'maxMessages', 'maxRecords', 'recordsPerSecond', 'reasons', 'shardIds', 'since', 'until', 'targetStream', 'dropExpired', 'fromCheckpoints', 'rewindSeconds']);

function positive(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ReplayRequestError(`${name} must be a number > 0`);
  return value;
}

function strings(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ReplayRequestError(`${name} must be an array of strings`);
  return value as string[];
}

function time(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ReplayRequestError(`${name} must be an ISO 8601 time or epoch milliseconds`);
  return ms;
}

function flag(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ReplayRequestError(`${name} must be true or false`);
  return value;
}

/**
 * @example
 * const options = parseReplayRequest(event, { queueUrl, deadline });
 */
export function parseReplayRequest(input: unknown, base: Pick<ReplayOptions, 'queueUrl' | 'deadline'>): ReplayOptions {
  const request = (input ?? {}) as Record<string, unknown>;
  if (typeof request !== 'object' || Array.isArray(request)) throw new ReplayRequestError('the replay request must be a JSON object');
  const unknown = Object.keys(request).filter((key) => !KEYS.has(key));
  if (unknown.length) throw new ReplayRequestError(`unknown option(s) ${unknown.join(', ')}; known: ${[...KEYS].join(', ')}`);
  if (request.targetStream !== undefined && typeof request.targetStream !== 'string') throw new ReplayRequestError('targetStream must be a stream name or ARN');
  const filter: ReplayFilter = {};
  const reasons = strings(request.reasons, 'reasons');
  const shardIds = strings(request.shardIds, 'shardIds');
  const since = time(request.since, 'since');
  const until = time(request.until, 'until');
  if (reasons) filter.reasons = reasons;
  if (shardIds) filter.shardIds = shardIds;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  flag(request.fromCheckpoints, 'fromCheckpoints');
  positive(request.rewindSeconds, 'rewindSeconds');
  const options: ReplayOptions = { ...base, filter };
  const dryRun = flag(request.dryRun, 'dryRun');
  const dropExpired = flag(request.dropExpired, 'dropExpired');
  const maxMessages = positive(request.maxMessages, 'maxMessages');
  const maxRecords = positive(request.maxRecords, 'maxRecords');
  const recordsPerSecond = positive(request.recordsPerSecond, 'recordsPerSecond');
  if (dryRun !== undefined) options.dryRun = dryRun;
  if (dropExpired !== undefined) options.dropExpired = dropExpired;
  if (maxMessages !== undefined) options.maxMessages = maxMessages;
  if (maxRecords !== undefined) options.maxRecords = maxRecords;
  if (recordsPerSecond !== undefined) options.recordsPerSecond = recordsPerSecond;
  if (typeof request.targetStream === 'string') options.targetStream = request.targetStream;
  return options;
}
