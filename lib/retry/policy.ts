/**
 * The one retry policy: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): before retry n (from 1), a random delay in [0, min(max, base * 2^(n-1))).
 * Full jitter spreads the retries of many writers hitting one hot shard instead of synchronising
 * them. Every retrying caller (the Kinesis write path, the DLQ sender, the shard reader and the
 * replay's queue calls) waits by this, always within its deadline. The SDK clients are built with
 * `maxAttempts: 1` (lib/aws) so that no retries run unseen under these.
 */

export interface RetryPolicy {
  /** Ceiling of the first retry's delay; doubles with each retry. */
  baseDelayMs: number;
  /** Ceiling of any one delay. */
  maxDelayMs: number;
  /** Tries in all, the first included; Infinity: until the deadline. */
  maxAttempts: number;
}

/** Kinesis writes and reads: short first waits (a shard's budget refills every second), up to 2 s. */
export const KINESIS_RETRY: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 2_000, maxAttempts: Number.POSITIVE_INFINITY };
/** SQS calls (the DLQ sender, the replay's queue calls): 4 tries from 100 ms. */
export const SQS_RETRY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 2_000, maxAttempts: 4 };

/**
 * @param retry 1 for the first retry (the second try), 2 for the next, ...
 * @example
 * await sleep(retryDelay(KINESIS_RETRY, 1)); // somewhere in [0, 50) ms
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Epoch ms: no try starts after it, and no wait runs past it. */
  deadline: number;
  /** Whether an error may clear up by itself (throttling, a 5xx, a dropped connection). */
  isRetryable: (error: unknown) => boolean;
  onRetry?: (retry: number, error: unknown, delayMs: number) => void;
}

/**
 * Runs `call` until it succeeds, fails for good, runs out of tries or would outlast the deadline;
 * then throws the last error.
 *
 * @example
 * const page = await withRetry(() => sqs.send(receive), { policy: SQS_RETRY, deadline, isRetryable: isRetryableAwsError });
 */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const delayMs = retryDelay(options.policy, attempt);
      const outOfTime = Date.now() + delayMs >= options.deadline;
      if (attempt >= options.policy.maxAttempts || outOfTime || !options.isRetryable(error)) throw error;
      options.onRetry?.(attempt, error, delayMs);
      await sleep(delayMs);
    }
  }
}
