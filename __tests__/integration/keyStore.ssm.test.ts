/**
 * The key store over real SSM protocol (moto, and the local stand-in `npm start` uses): keys created,
 * revoked and expired take effect within the refresh interval and not before it; a store that cannot
 * be read at cold start lets nobody in, says so, and recovers; a bad record locks nobody else out.
 * The clock is the store's own (injected): the SSM calls are real, the waiting is not.
 */
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '@aws-lambda-powertools/logger';
import { formatKeyRecord } from '../../lib/auth/keyRecord';
import { KeyStore } from '../../lib/auth/keyStore';
import { loadKeyRecords } from '../../lib/auth/ssmKeys';
import { startMoto } from '../../local/src/motoServer';
import { freePort } from '../../local/src/services';
import { startSsmServer } from '../../local/src/ssmServer';
import { keyRecord, seedKeyStore, uniqueKeyPath } from '../helpers/keys';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const TIMING = { refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 };

interface Logged {
  level: string;
  message: string;
  facts: unknown;
}

type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

function recorder(): { logger: StoreLogger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (message: unknown, ...facts: unknown[]): void =>
      void lines.push({ level, message: String(message), facts: facts[0] });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function recordingStore(ssm: SSMClient, path: string, logger: StoreLogger, clock: { now: number }): KeyStore {
  return new KeyStore(
    () => loadKeyRecords(ssm, path, logger),
    TIMING,
    logger,
    () => clock.now,
  );
}

describe.each<[string, () => Promise<{ endpoint: string; stop(): Promise<void> }>]>([
  ['moto', () => startMoto()],
  ['the local stand-in', () => startSsmServer()],
])('the key store on %s', (_label, start) => {
  let server: { endpoint: string; stop(): Promise<void> } | undefined;
  let ssm: SSMClient;

  beforeAll(async () => {
    server = await start();
    ssm = new SSMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  }, 30_000);
  afterAll(async () => {
    ssm?.destroy();
    await server?.stop();
  });

  it('takes a new key and drops a revoked one within the refresh interval, not before', async () => {
    const path = await seedKeyStore(ssm, [{ key: 'first-key', tenant: 'acme', id: 'key_00000000000a' }]);
    const clock = { now: Date.now() };
    const { logger } = recorder();
    const store = recordingStore(ssm, path, logger, clock);
    expect(await store.check('first-key')).toEqual({ ok: true, caller: { keyId: 'key_00000000000a', tenant: 'acme' } });
    await seedKeyStore(ssm, [{ key: 'second-key', tenant: 'globex', id: 'key_00000000000b' }], path);
    await ssm.send(new DeleteParameterCommand({ Name: `${path}key_00000000000a` }));
    // Within the interval the loaded set stands: the revoked key still works, the new one not yet.
    clock.now += TIMING.refreshMs - 1;
    expect(await store.check('first-key')).toMatchObject({ ok: true });
    expect(await store.check('second-key')).toEqual({ ok: false, reason: 'unknown' });
    // Once the interval has passed, the next request reloads.
    clock.now += 1;
    expect(await store.check('first-key')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.check('second-key')).toEqual({
      ok: true,
      caller: { keyId: 'key_00000000000b', tenant: 'globex' },
    });
  });

  it('refuses a key from its expiry on, without a reload', async () => {
    const clock = { now: Date.now() };
    const expiresAt = new Date(clock.now + 1_000).toISOString();
    const path = await seedKeyStore(ssm, [{ key: 'short-lived', tenant: 'acme', expiresAt }]);
    const store = recordingStore(ssm, path, recorder().logger, clock);
    expect(await store.check('short-lived')).toMatchObject({ ok: true });
    clock.now += 1_000;
    expect(await store.check('short-lived')).toEqual({ ok: false, reason: 'expired' });
  });

  it('reads more keys than one page holds (GetParametersByPath gives 10 at a time)', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => ({ key: `paged-key-${i}`, tenant: `t${i % 3}` }));
    const path = await seedKeyStore(ssm, keys);
    const store = recordingStore(ssm, path, recorder().logger, { now: Date.now() });
    for (const key of keys)
      expect(await store.check(key.key)).toMatchObject({ ok: true, caller: { tenant: key.tenant } });
  });

  it('skips a record that does not parse, logging its name and not its value, and keeps the others', async () => {
    const path = await seedKeyStore(ssm, [{ key: 'good-key', tenant: 'acme' }]);
    const pasted = 'tp_a-key-pasted-by-mistake-000000000000000';
    await ssm.send(new PutParameterCommand({ Name: `${path}key_0000000000ff`, Value: pasted, Type: 'SecureString' }));
    const { logger, lines } = recorder();
    const store = recordingStore(ssm, path, logger, { now: Date.now() });
    expect(await store.check('good-key')).toMatchObject({ ok: true });
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'API key record skipped',
        facts: { parameter: `${path}key_0000000000ff`, problem: 'the value is not JSON' },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(pasted);
  });
});

describe('a key store that cannot be read', () => {
  it('fails closed at cold start with one clear log line per attempt, then recovers once it can be read', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const ssm = new SSMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const path = uniqueKeyPath();
    const clock = { now: Date.now() };
    const { logger, lines } = recorder();
    const store = recordingStore(ssm, path, logger, clock);
    // Nothing listens: connection refused.
    expect(await store.check('the-key')).toEqual({ ok: false, reason: 'unavailable' });
    // Within the retry interval the store does not call again: the answer is the same, at once.
    clock.now += TIMING.retryMs - 1;
    expect(await store.check('the-key')).toEqual({ ok: false, reason: 'unavailable' });
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['error', 'API key store cannot be read: refusing every request until it can (fail closed)'],
    ]);
    // The store comes up on that port; after the retry interval the next request loads it.
    const server = await startSsmServer({ port });
    try {
      const record = keyRecord({ key: 'the-key', tenant: 'acme' });
      await ssm.send(
        new PutParameterCommand({ Name: `${path}${record.id}`, Value: formatKeyRecord(record), Type: 'SecureString' }),
      );
      clock.now += 1;
      expect(await store.check('the-key')).toMatchObject({ ok: true, caller: { tenant: 'acme' } });
      // A refresh that fails later keeps the last good set until the stale limit, then fails closed.
      await server.stop();
      clock.now += TIMING.refreshMs;
      expect(await store.check('the-key')).toMatchObject({ ok: true });
      expect(lines.at(-1)).toMatchObject({
        level: 'warn',
        message: 'API key store refresh failed: keeping the last good set',
      });
      clock.now += TIMING.staleLimitMs;
      expect(await store.check('the-key')).toEqual({ ok: false, reason: 'unavailable' });
      expect(lines.at(-1)).toMatchObject({
        level: 'error',
        message: expect.stringContaining('older than its stale limit'),
      });
    } finally {
      await server.stop();
      ssm.destroy();
    }
  });
});
