/**
 * How many PutRecords calls may be in flight at once, adapted to what the stream takes: additive
 * increase, multiplicative decrease (AIMD, as TCP's congestion window). A call that comes back
 * throttled (ProvisionedThroughputExceededException on any entry, or a throttled call) halves the
 * limit, at most once per round of calls in flight (calls started before a decrease do not halve
 * it again); each call that comes back clean adds 1/limit, about one more call in flight per round
 * trip's worth of clean calls. The limit stays between 1 and `max`.
 *
 * With the write path's own backoff between retries of throttled entries, this shrinks both the
 * number in flight and the pace on throughput errors, and grows them back while calls succeed: a
 * replay fills what live traffic leaves of a shard's capacity without starving it.
 */

/** What a call's outcome says about capacity. */
export type CallOutcomeKind = 'ok' | 'throttled' | 'failed';

export interface CallPermit {
  /** Once per permit, when the call is done. */
  release(outcome: CallOutcomeKind): void;
}

/** What the write path asks before each call. */
export interface CallGate {
  /** A permit once a call may start; undefined when `deadline` (epoch ms) comes first. */
  acquire(deadline: number): Promise<CallPermit | undefined>;
}

/** Per-entry and per-call codes that mean "over the stream's throughput", not "broken". */
export const THROTTLE_CODES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'LimitExceededException',
  'KMSThrottlingException',
]);

/**
 * @example
 * const limit = new AdaptiveLimit(8);
 * await putRecordsConcurrently(kinesis, records, { stream, deadline, concurrency: 8, limit });
 * limit.current; // 8 on a stream with room, fewer while it throttles
 */
export class AdaptiveLimit implements CallGate {
  private limit: number;
  private inFlight = 0;
  private decreases = 0;
  private readonly waiting = new Set<() => void>();
  /** Decreases and increases so far, for reports. */
  readonly history = { decreases: 0, lowest: 0 };

  constructor(
    readonly max: number,
    initial: number = max,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a whole number >= 1, got ${max}`);
    this.limit = Math.min(Math.max(1, initial), max);
    this.history.lowest = this.current;
  }

  /** Calls allowed in flight now. */
  get current(): number {
    return Math.max(1, Math.floor(this.limit));
  }

  async acquire(deadline: number): Promise<CallPermit | undefined> {
    while (this.inFlight >= this.current) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.waiting.add(wake);
      });
    }
    this.inFlight += 1;
    const epoch = this.decreases;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        if (outcome === 'throttled' && epoch === this.decreases) {
          this.limit = Math.max(1, this.limit / 2);
          this.decreases += 1;
          this.history.decreases += 1;
          this.history.lowest = Math.min(this.history.lowest, this.current);
        } else if (outcome === 'ok') {
          this.limit = Math.min(this.max, this.limit + 1 / this.limit);
        }
        // Every waiter looks again; those that still do not fit wait again.
        for (const wake of [...this.waiting]) wake();
      },
    };
  }
}
