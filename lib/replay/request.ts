/**
 * What an operator may ask of the replay function (its invocation payload, and the CLI's flags):
 * one of two operations, each with its own fields, checked up front with messages that name the
 * bad field. A field the chosen operation does not honour is refused, never silently ignored.
 *
 * - drain (the default): put the dead-letter queue's records back on the stream;
 * - fill (`"fromCheckpoints": true`): after a re-created trigger, read each shard from the
 *   consumer's checkpoint to now and write through the consumer's own path.
 *
 * `dryRun` works for both: a dry drain resolves and counts, puts and deletes nothing; a dry fill
 * reads and counts, writes no row and sends no message.
 */
import { isPlainObject, PipelineError } from '../errors';

export class ReplayRequestError extends PipelineError {
  override readonly name = 'ReplayRequestError';
  constructor(message: string) {
    super('INVALID_REPLAY_REQUEST', message);
  }
}

export interface ReplayFilter {
  /** Only messages with one of these reasons (ours) or conditions (Lambda's). */
  reasons?: string[];
  shardIds?: string[];
  /** Only messages whose oldest record arrived in [since, until] (epoch ms). */
  since?: number;
  until?: number;
}

export interface DrainRequest {
  operation: 'drain';
  /** Resolve and count; put nothing, delete nothing. */
  dryRun: boolean;
  maxMessages?: number;
  maxRecords?: number;
  /** Records per second put back, so a replay does not take the shard capacity live traffic needs. */
  recordsPerSecond?: number;
  filter: ReplayFilter;
  /** Put into this stream (name or ARN) instead of the one each message came from. */
  targetStream?: string;
  /** Delete messages whose records are partly gone, after putting back what is left. */
  dropExpired: boolean;
}

export interface FillRequest {
  operation: 'fill';
  /** Read and count; write no row, send no message. */
  dryRun: boolean;
  /** Only these shards (default: every shard of the stream). */
  shardIds?: string[];
  /** Start this many seconds before each checkpoint (parallelizationFactor > 1). */
  rewindSeconds?: number;
  /** Records per second handed to the consumer's path, to spare the database. */
  recordsPerSecond?: number;
}

export type ReplayRequest = DrainRequest | FillRequest;

const COMMON = ['dryRun', 'recordsPerSecond', 'shardIds'];
const DRAIN_ONLY = ['maxMessages', 'maxRecords', 'reasons', 'since', 'until', 'targetStream', 'dropExpired'];
const FILL_ONLY = ['rewindSeconds'];

function positive(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ReplayRequestError(`${name} must be a number > 0`);
  return value;
}

function strings(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new ReplayRequestError(`${name} must be an array of strings`);
  return value as string[];
}

function time(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ReplayRequestError(`${name} must be an ISO 8601 time or epoch milliseconds`);
  return ms;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ReplayRequestError(`${name} must be true or false`);
  return value;
}

/** Copies the defined entries only, so a request never carries `key: undefined`. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function operationOf(request: Record<string, unknown>): 'drain' | 'fill' {
  const { operation, fromCheckpoints } = request;
  if (operation !== undefined && operation !== 'drain' && operation !== 'fill')
    throw new ReplayRequestError('operation must be "drain" or "fill"');
  const fill = flag(fromCheckpoints, 'fromCheckpoints');
  if (operation === 'drain' && fill)
    throw new ReplayRequestError('operation "drain" and fromCheckpoints: true contradict each other');
  return operation === 'fill' || fill ? 'fill' : 'drain';
}

/**
 * @param input the invocation payload; null or `{}` is a drain of the whole queue.
 * @throws ReplayRequestError naming the first field that is unknown, of the wrong type, or not
 *   honoured by the operation the request asks for.
 * @example
 * parseReplayRequest({ dryRun: true, reasons: ['db-rejected'] }); // { operation: 'drain', dryRun: true, filter: { reasons: [...] }, ... }
 * parseReplayRequest({ fromCheckpoints: true, maxMessages: 5 }); // throws: maxMessages is a drain option
 */
export function parseReplayRequest(input: unknown): ReplayRequest {
  const request = input ?? {};
  if (!isPlainObject(request)) throw new ReplayRequestError('the replay request must be a JSON object');
  const operation = operationOf(request);
  const own = operation === 'drain' ? DRAIN_ONLY : FILL_ONLY;
  const other = operation === 'drain' ? FILL_ONLY : DRAIN_ONLY;
  for (const key of Object.keys(request)) {
    if (key === 'operation' || key === 'fromCheckpoints' || COMMON.includes(key) || own.includes(key)) continue;
    if (other.includes(key)) {
      throw new ReplayRequestError(
        operation === 'drain'
          ? `${key} is a fill option (fromCheckpoints: true); a drain does not honour it`
          : `${key} is a drain option; a fill (fromCheckpoints) does not honour it: it reads each shard from its checkpoint to now`,
      );
    }
    throw new ReplayRequestError(
      `unknown option ${key}; known: operation, fromCheckpoints, ${[...COMMON, ...DRAIN_ONLY, ...FILL_ONLY].join(', ')}`,
    );
  }
  const dryRun = flag(request.dryRun, 'dryRun');
  const recordsPerSecond = positive(request.recordsPerSecond, 'recordsPerSecond');
  const shardIds = strings(request.shardIds, 'shardIds');
  if (operation === 'fill') {
    return defined<FillRequest>({
      operation,
      dryRun,
      shardIds,
      recordsPerSecond,
      rewindSeconds: positive(request.rewindSeconds, 'rewindSeconds'),
    });
  }
  if (request.targetStream !== undefined && typeof request.targetStream !== 'string')
    throw new ReplayRequestError('targetStream must be a stream name or ARN');
  return defined<DrainRequest>({
    operation,
    dryRun,
    dropExpired: flag(request.dropExpired, 'dropExpired'),
    maxMessages: positive(request.maxMessages, 'maxMessages'),
    maxRecords: positive(request.maxRecords, 'maxRecords'),
    recordsPerSecond,
    targetStream: request.targetStream as string | undefined,
    filter: defined<ReplayFilter>({
      reasons: strings(request.reasons, 'reasons'),
      shardIds,
      since: time(request.since, 'since'),
      until: time(request.until, 'until'),
    }),
  });
}
