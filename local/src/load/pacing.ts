/**
 * Open-loop pacing: request k is due at start + k * batchSize / rate, whatever earlier answers took
 * (a closed loop that waits for answers would slow down with the server and hide its latency), with a
 * cap on requests in flight so a stalled server cannot make the client pile up sockets without end.
 */

/** The plan: how many requests, how many items each, and when each is due. */
export interface BatchPlan {
  /** Items per request; the last request may carry fewer. */
  sizes: number[];
  /** Milliseconds after the start at which request k is due. */
  dueAtMs(k: number): number;
}

/**
 * @example
 * const plan = planBatches({ events: 250, batchSize: 100, rate: 500 });
 * plan.sizes;       // [100, 100, 50]
 * plan.dueAtMs(2);  // 400
 */
export function planBatches(options: { events: number; batchSize: number; rate: number }): BatchPlan {
  const { events, batchSize, rate } = options;
  if (!Number.isInteger(events) || events < 0) throw new RangeError(`events must be an integer >= 0, got ${events}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`rate must be a number of events per second > 0, got ${rate}`);
  const sizes = Array.from({ length: Math.ceil(events / batchSize) }, (_, k) =>
    Math.min(batchSize, events - k * batchSize),
  );
  return { sizes, dueAtMs: (k) => (k * batchSize * 1000) / rate };
}

/**
 * Waits `ms`, or less if `signal` aborts first.
 *
 * @example
 * await sleepUnlessAborted(250, controller.signal);
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** At most `limit` tasks at once. */
export class InFlightLimit {
  private readonly running = new Set<Promise<void>>();

  /**
   * @example
   * const limit = new InFlightLimit(8);
   * await limit.slotFree();
   * limit.start(() => postBatch(...));
   * await limit.settled();
   */
  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`the in-flight limit must be an integer >= 1, got ${limit}`);
  }

  /** Resolves once fewer than `limit` tasks are running. */
  async slotFree(): Promise<void> {
    // Bounded: each pass waits for one running task to end, and tasks end (they carry timeouts).
    while (this.running.size >= this.limit) await Promise.race(this.running);
  }

  /** Starts `task` now (call after `slotFree`). `task` must not reject. */
  start(task: () => Promise<void>): void {
    const promise = task().finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  get size(): number {
    return this.running.size;
  }

  async settled(): Promise<void> {
    await Promise.all(this.running);
  }
}
