/**
 * The load client's engine (`npm run send`, and the benchmarks): POSTs realistic telemetry in
 * batches, open-loop paced to a rate, bounded in time and in requests in flight, optionally mixing in
 * malformed items (refused by ingest) and poison records (put straight on the stream), and returns
 * what was sent and what the API answered.
 */
import { functionNames, malformedItem, poisonEvent, telemetryItem } from './events';
import { InFlightLimit, planBatches, sleepUnlessAborted } from './pacing';
import { putPoisonEvents, type PoisonTarget } from './poison';
import { postBatch } from './postBatch';
import { seededRandom } from './random';
import { LoadStatsRecorder, type LoadStats, type RequestOutcome, type StopReason } from './stats';

export interface LoadOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  apiKey: string;
  /** Events per second, over all requests. */
  rate: number;
  /** No request starts after this; requests in flight are awaited (each up to `requestTimeoutMs`). */
  durationSeconds: number;
  /** Events to send in all. Default `rate * durationSeconds`; fewer are sent if the duration runs out first. */
  events?: number;
  /** Events per POST. Default 100. */
  batchSize?: number;
  /** Most requests in flight at once. Default 8. */
  concurrency?: number;
  /** Share of items (0-1) made malformed, which ingest refuses item by item. Default 0. */
  malformedFraction?: number;
  /** Put about `fraction` poison records per event POSTed straight on the stream (bypassing ingest). */
  poison?: PoisonTarget & { fraction: number };
  /** Distinct sources (function names). Default 12. */
  sources?: number;
  /** Same seed, same events. Default: random. */
  seed?: number;
  /** Default 30,000 (API Gateway's own limit). */
  requestTimeoutMs?: number;
  /** Called with every request's outcome as it completes. */
  onResponse?: (outcome: RequestOutcome) => void;
  /** Called every `progressIntervalMs` (default 1,000) with the stats so far. */
  onProgress?: (stats: LoadStats) => void;
  progressIntervalMs?: number;
  /** Stops starting requests (Ctrl-C); the run then ends like one that ran out of time. */
  signal?: AbortSignal;
}

function fraction(value: number | undefined, name: string): number {
  const f = value ?? 0;
  if (!(f >= 0 && f <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${f}`);
  return f;
}

/**
 * @example
 * const stats = await runLoad({ apiUrl: stack.apiUrl, apiKey: stack.apiKey, rate: 500, durationSeconds: 10, malformedFraction: 0.02 });
 * console.log(stats.accepted, stats.latencyMs.p99);
 */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  if (!(options.durationSeconds > 0))
    throw new RangeError(`durationSeconds must be > 0, got ${options.durationSeconds}`);
  const malformedFraction = fraction(options.malformedFraction, 'malformedFraction');
  const poisonFraction = fraction(options.poison?.fraction, 'poison.fraction');
  const events = options.events ?? Math.round(options.rate * options.durationSeconds);
  const plan = planBatches({ events, batchSize: options.batchSize ?? 100, rate: options.rate });
  const sources = functionNames(options.sources ?? 12);
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const target = { apiUrl: options.apiUrl, apiKey: options.apiKey, timeoutMs: options.requestTimeoutMs ?? 30_000 };
  const limit = new InFlightLimit(options.concurrency ?? 8);
  const started = Date.now();
  const recorder = new LoadStatsRecorder(options.rate, events, started);

  let callbackError: unknown;
  const send = async (batch: number, size: number): Promise<void> => {
    const now = Date.now();
    const items: unknown[] = [];
    let malformed = 0;
    let poisonCount = 0;
    for (let i = 0; i < size; i += 1) {
      const bad = random() < malformedFraction;
      malformed += bad ? 1 : 0;
      items.push(bad ? malformedItem(random, sources, now) : telemetryItem(random, sources, now));
      if (poisonFraction > 0 && random() < poisonFraction) poisonCount += 1;
    }
    const poison = Array.from({ length: poisonCount }, () => poisonEvent(random, sources, now));
    const [posted, poisoned] = await Promise.all([
      postBatch(target, items, malformed),
      options.poison
        ? putPoisonEvents(options.poison, poison).catch((error: unknown) => ({
            put: [],
            failed: poison.length,
            error: `poison records not put: ${String(error)}`,
          }))
        : Promise.resolve({ put: [], failed: 0 }),
    ]);
    const outcome: RequestOutcome = {
      ...posted,
      batch,
      poisonIds: poisoned.put.map((e) => e.eventId),
      poisonFailed: poisoned.failed,
    };
    if ('error' in poisoned && outcome.error === undefined) outcome.error = poisoned.error;
    recorder.add(outcome);
    try {
      options.onResponse?.(outcome);
    } catch (error) {
      // Thrown at the end, not into the in-flight set, where nobody would be waiting for it.
      callbackError ??= error;
    }
  };

  const progress = options.onProgress
    ? setInterval(() => options.onProgress?.(recorder.snapshot('running')), options.progressIntervalMs ?? 1_000)
    : undefined;
  const endAt = started + options.durationSeconds * 1000;
  let stoppedBecause: StopReason = 'done';
  try {
    for (let k = 0; k < plan.sizes.length; k += 1) {
      await sleepUnlessAborted(started + plan.dueAtMs(k) - Date.now(), options.signal);
      if (options.signal?.aborted) {
        stoppedBecause = 'aborted';
        break;
      }
      await limit.slotFree();
      if (Date.now() >= endAt) {
        stoppedBecause = 'duration';
        break;
      }
      limit.start(() => send(k, plan.sizes[k] as number));
    }
    await limit.settled();
  } finally {
    if (progress) clearInterval(progress);
  }
  if (callbackError !== undefined) throw callbackError;
  return recorder.snapshot(stoppedBecause);
}
