/**
 * The one retry policy (lib/retry/policy.ts): full-jitter backoff within a ceiling, and `withRetry`,
 * which retries only what may clear up, at most `maxAttempts` tries, and never waits past its deadline.
 */
import { KINESIS_RETRY, retryDelay, SQS_RETRY, withRetry, type RetryPolicy } from '../../lib/retry/policy';

class Transient extends Error {
  readonly retryable = true;
}
class Permanent extends Error {
  readonly retryable = false;
}
const isRetryable = (error: unknown): boolean => (error as { retryable?: boolean }).retryable === true;

/** A call that throws `failures` in turn, then returns 'done'; it counts its tries and when each began. */
function flaky(failures: Error[]): { call: () => Promise<string>; tries: number[] } {
  const tries: number[] = [];
  let next = 0;
  return {
    tries,
    call: async () => {
      tries.push(Date.now());
      const failure = failures[next++];
      if (failure) throw failure;
      return 'done';
    },
  };
}

describe('retryDelay', () => {
  const policies: [string, RetryPolicy][] = [
    ['KINESIS_RETRY', KINESIS_RETRY],
    ['SQS_RETRY', SQS_RETRY],
    ['a custom policy', { baseDelayMs: 7, maxDelayMs: 1_000, maxAttempts: 10 }],
  ];

  it.each(policies)('stays within [0, min(max, base * 2^(n-1))) for %s', (_name, policy) => {
    for (let retry = 1; retry <= 40; retry += 1) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
      expect(retryDelay(policy, retry, () => 0)).toBe(0);
      const highest = retryDelay(policy, retry, () => 0.999);
      expect(highest).toBeGreaterThanOrEqual(0);
      expect(highest).toBeLessThan(ceiling);
      // Full jitter reaches (almost) the ceiling: the ceiling doubles, then is capped at maxDelayMs.
      expect(highest).toBeGreaterThanOrEqual(Math.floor(0.999 * ceiling));
      for (let i = 0; i < 20; i += 1) {
        const delay = retryDelay(policy, retry);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('doubles the ceiling with each retry until maxDelayMs', () => {
    const policy: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 10 };
    const top = (retry: number): number => retryDelay(policy, retry, () => 0.999);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
  });
});

describe('withRetry', () => {
  const quick: RetryPolicy = { baseDelayMs: 2, maxDelayMs: 5, maxAttempts: 5 };

  it('retries a retryable error, then returns what the call returns', async () => {
    const { call, tries } = flaky([new Transient('throttled'), new Transient('throttled again')]);
    const retries: number[] = [];
    const result = await withRetry(call, {
      policy: quick,
      deadline: Date.now() + 10_000,
      isRetryable,
      onRetry: (retry) => retries.push(retry),
    });
    expect(result).toBe('done');
    expect(tries).toHaveLength(3);
    expect(retries).toEqual([1, 2]);
  });

  it('stops at maxAttempts (the first try counted) and throws the last error', async () => {
    const failures = Array.from({ length: 10 }, (_, i) => new Transient(`failure ${i + 1}`));
    const { call, tries } = flaky(failures);
    const error = await withRetry(call, {
      policy: { ...quick, maxAttempts: 3 },
      deadline: Date.now() + 10_000,
      isRetryable,
    }).catch((e: unknown) => e);
    expect(error).toBe(failures[2]);
    expect(tries).toHaveLength(3);

    const once = flaky([new Transient('only try')]);
    await expect(
      withRetry(once.call, { policy: { ...quick, maxAttempts: 1 }, deadline: Date.now() + 10_000, isRetryable }),
    ).rejects.toThrow('only try');
    expect(once.tries).toHaveLength(1);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    const permanent = new Permanent('access denied');
    const { call, tries } = flaky([permanent]);
    const retries: number[] = [];
    await expect(
      withRetry(call, {
        policy: quick,
        deadline: Date.now() + 10_000,
        isRetryable,
        onRetry: (retry) => retries.push(retry),
      }),
    ).rejects.toBe(permanent);
    expect(tries).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('never waits past the deadline, however many tries the policy allows', async () => {
    // Always failing, unlimited tries: only the deadline ends it.
    const failures = Array.from({ length: 10_000 }, () => new Transient('throttled'));
    const { call, tries } = flaky(failures);
    const started = Date.now();
    const deadline = started + 300;
    const waits: number[] = [];
    const error = await withRetry(call, {
      policy: { baseDelayMs: 20, maxDelayMs: 80, maxAttempts: Number.POSITIVE_INFINITY },
      deadline,
      isRetryable,
      onRetry: (_retry, _error, delayMs) => waits.push(delayMs),
    }).catch((e: unknown) => e);
    const ended = Date.now();
    expect(error).toBeInstanceOf(Transient);
    expect(tries.length).toBeGreaterThan(1);
    // No try began at or after the deadline, and no wait was begun that would end past it.
    for (const at of tries) expect(at).toBeLessThan(deadline);
    expect(ended).toBeLessThan(deadline + 50);
    expect(waits).toHaveLength(tries.length - 1);
  });

  it('gives up at once rather than sleep past the deadline when the next wait would end after it', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      const { call, tries } = flaky([new Transient('throttled'), new Transient('throttled')]);
      const started = Date.now();
      // The first wait would be ~10 s; the deadline is 200 ms away.
      const error = await withRetry(call, {
        policy: { baseDelayMs: 10_000, maxDelayMs: 10_000, maxAttempts: 10 },
        deadline: started + 200,
        isRetryable,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Transient);
      expect(tries).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(150);
    } finally {
      random.mockRestore();
    }
  });
});
