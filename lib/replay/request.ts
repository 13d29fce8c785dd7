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

/** Both operations stop starting new work this long before Lambda's timeout, so the report gets out. */
export const SAFETY_MARGIN_MS = 10_000;

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

/** The operation a request asks for: `operation`, else `fromCheckpoints`, else the caller's default. */
function operationOf(
  request: Record<string, unknown>,
  fallback: ReplayRequest['operation'],
): ReplayRequest['operation'] {
  const { operation, fromCheckpoints } = request;
  if (operation !== undefined && operation !== 'drain' && operation !== 'fill')
    throw new ReplayRequestError('operation must be "drain" or "fill"');
  if (fromCheckpoints === undefined || fromCheckpoints === null) return operation ?? fallback;
  const fill = flag(fromCheckpoints, 'fromCheckpoints');
  if (operation !== undefined && (operation === 'fill') !== fill)
    throw new ReplayRequestError(`operation "${operation}" and fromCheckpoints: ${fill} contradict each other`);
  return fill ? 'fill' : 'drain';
}

function checkFields(request: Record<string, unknown>, operation: ReplayRequest['operation']): void {
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
}

function fillRequest(request: Record<string, unknown>): FillRequest {
  return defined<FillRequest>({
    operation: 'fill',
    dryRun: flag(request.dryRun, 'dryRun'),
    shardIds: strings(request.shardIds, 'shardIds'),
    recordsPerSecond: positive(request.recordsPerSecond, 'recordsPerSecond'),
    rewindSeconds: positive(request.rewindSeconds, 'rewindSeconds'),
  });
}

function drainRequest(request: Record<string, unknown>): DrainRequest {
  if (request.targetStream !== undefined && typeof request.targetStream !== 'string')
    throw new ReplayRequestError('targetStream must be a stream name or ARN');
  return defined<DrainRequest>({
    operation: 'drain',
    dryRun: flag(request.dryRun, 'dryRun'),
    dropExpired: flag(request.dropExpired, 'dropExpired'),
    maxMessages: positive(request.maxMessages, 'maxMessages'),
    maxRecords: positive(request.maxRecords, 'maxRecords'),
    recordsPerSecond: positive(request.recordsPerSecond, 'recordsPerSecond'),
    targetStream: request.targetStream as string | undefined,
    filter: defined<ReplayFilter>({
      reasons: strings(request.reasons, 'reasons'),
      shardIds: strings(request.shardIds, 'shardIds'),
      since: time(request.since, 'since'),
      until: time(request.until, 'until'),
    }),
  });
}

function parse(input: unknown, fallback: ReplayRequest['operation']): ReplayRequest {
  const request = input ?? {};
  if (!isPlainObject(request)) throw new ReplayRequestError('the replay request must be a JSON object');
  const operation = operationOf(request, fallback);
  checkFields(request, operation);
  return operation === 'fill' ? fillRequest(request) : drainRequest(request);
}

/**
 * @param input the invocation payload or the CLI's flags; null or `{}` is a drain of the whole queue.
 * @throws ReplayRequestError naming the first field that is unknown, of the wrong type, or not
 *   honoured by the operation the request asks for.
 * @example
 * parseReplayRequest({ dryRun: true, reasons: ['db-rejected'] }); // { operation: 'drain', dryRun: true, filter: { reasons: [...] }, ... }
 * parseReplayRequest({ fromCheckpoints: true, maxMessages: 5 }); // throws: maxMessages is a drain option
 */
export function parseReplayRequest(input: unknown): ReplayRequest {
  return parse(input, 'drain');
}

/**
 * The replay function's payload: a drain; a request for a fill is refused with where it runs.
 *
 * @example
 * parseDrainRequest({ maxMessages: 100 }); // { operation: 'drain', maxMessages: 100, ... }
 */
export function parseDrainRequest(input: unknown): DrainRequest {
  const request = parse(input, 'drain');
  if (request.operation !== 'drain') {
    throw new ReplayRequestError(
      "a fill from checkpoints runs in the fill function: serverless invoke -f fill --data '{...}'",
    );
  }
  return request;
}

/**
 * The fill function's payload: a fill (`fromCheckpoints` may be given, and is implied); a request
 * for a drain is refused with where it runs.
 *
 * @example
 * parseFillRequest({ dryRun: true }); // { operation: 'fill', dryRun: true }
 */
export function parseFillRequest(input: unknown): FillRequest {
  const request = parse(input, 'fill');
  if (request.operation !== 'fill') {
    throw new ReplayRequestError('the fill function only fills: a drain runs in the replay function');
  }
  return request;
}
