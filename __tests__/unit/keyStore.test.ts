/**
 * The key store's timing where SSM cannot be made to do it: a refresh that stalls (a connection that
 * accepts and then says nothing). The loader is the fault injected; everything else is the real store.
 * The rest of its behaviour runs against real SSM protocol in keyStore.ssm.test.ts.
 */
import { KeyStore, REFRESH_WAIT_MS } from '../../lib/auth/keyStore';
import { keyRecord } from '../helpers/keys';

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };

it('answers from the set it has when a refresh stalls, and takes the refresh once it lands', async () => {
  const first = [keyRecord({ key: 'old-key', tenant: 'acme' })];
  const second = [keyRecord({ key: 'new-key', tenant: 'acme' })];
  let release: (() => void) | undefined;
  let calls = 0;
  const clock = { now: Date.now() };
  const store = new KeyStore(
    async () => {
      calls += 1;
      if (calls === 1) return first;
      // The second load stalls until the test lets it through.
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return second;
    },
    { refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 },
    QUIET,
    () => clock.now,
  );
  expect(await store.check('old-key')).toMatchObject({ ok: true });
  clock.now += 60_000;
  const started = performance.now();
  expect(await store.check('old-key')).toMatchObject({ ok: true });
  const waited = performance.now() - started;
  expect(waited).toBeGreaterThanOrEqual(REFRESH_WAIT_MS - 50);
  expect(waited).toBeLessThan(REFRESH_WAIT_MS * 10);
  // Still stalled: the next request joins the same load instead of starting another.
  expect(await store.check('new-key')).toEqual({ ok: false, reason: 'unknown' });
  expect(calls).toBe(2);
  release?.();
  await new Promise((resolve) => setImmediate(resolve));
  expect(await store.check('new-key')).toMatchObject({ ok: true });
  expect(await store.check('old-key')).toEqual({ ok: false, reason: 'unknown' });
});

it('waits for the load when it has no usable set (cold start): nothing to answer from', async () => {
  const store = new KeyStore(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, REFRESH_WAIT_MS * 2));
      return [keyRecord({ key: 'slow-key', tenant: 'acme' })];
    },
    { refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 },
    QUIET,
  );
  expect(await store.check('slow-key')).toMatchObject({ ok: true });
});
