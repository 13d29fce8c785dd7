import { createHash } from 'node:crypto';
import { hashApiKey } from '../../lib/auth/apiKey';
import { readKeyStoreConfig } from '../../lib/auth/config';
import { KEY_ID_PATTERN, parseKeyRecord, TENANT_PATTERN } from '../../lib/auth/keyRecord';
import { requestApiKey } from '../../lib/auth/requestKey';
import { ConfigError } from '../../lib/errors';
import { readIngestConfig } from '../../lib/ingest/config';
import { parseHashList } from '../../scripts/stage/apiKeys';
import { testKeyStore } from '../helpers/keys';

describe('API keys', () => {
  it('hashes a key to the lowercase SHA-256 hex a key record holds', () => {
    expect(hashApiKey('s3cret')).toBe(createHash('sha256').update('s3cret').digest('hex'));
  });

  it('match the key they were made for and nothing else, naming its id and tenant', async () => {
    const store = testKeyStore([
      { key: 'first', tenant: 'acme', id: 'key_000000000001' },
      { key: 'second', tenant: 'globex', id: 'key_000000000002' },
    ]);
    expect(await store.check('first')).toEqual({ ok: true, caller: { keyId: 'key_000000000001', tenant: 'acme' } });
    expect(await store.check('second')).toEqual({ ok: true, caller: { keyId: 'key_000000000002', tenant: 'globex' } });
    for (const wrong of ['third', 'First', 'first ', 'x'.repeat(513)])
      expect(await store.check(wrong)).toMatchObject({ ok: false });
    expect(await store.check('')).toEqual({ ok: false, reason: 'missing' });
    expect(await store.check(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await testKeyStore([]).check('first')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('parse a key record, naming what is wrong and never echoing a value', () => {
    const name = '/telemetry-pipeline/dev/api-keys/key_0123456789ab';
    const value = { v: 1, tenant: 'acme', name: 'ci', hash: hashApiKey('k'), createdAt: '2026-12-01T00:00:00Z' };
    expect(parseKeyRecord(name, JSON.stringify(value))).toEqual({
      ok: true,
      record: { id: 'key_0123456789ab', ...value, v: undefined, expiresAt: null },
    });
    const problems = [
      [name.replace('key_0123456789ab', 'not-a-key-id'), value],
      [name, { ...value, tenant: 'Acme Corp' }],
      [name, { ...value, hash: 'tp_a-pasted-key' }],
      [name, { ...value, v: 2 }],
      [name, { ...value, expiresAt: 'tomorrow' }],
    ] as const;
    for (const [parameter, record] of problems) {
      const parsed = parseKeyRecord(parameter, JSON.stringify(record));
      expect(parsed).toMatchObject({ ok: false, problem: expect.any(String) });
      expect(JSON.stringify(parsed)).not.toContain('tp_a-pasted-key');
    }
    expect(parseKeyRecord(name, 'tp_a-pasted-key')).toEqual({ ok: false, problem: 'the value is not JSON' });
    expect(TENANT_PATTERN.test('a'.repeat(63))).toBe(true);
    expect(TENANT_PATTERN.test('a'.repeat(64))).toBe(false);
    expect(KEY_ID_PATTERN.test('key_0123456789ab')).toBe(true);
  });

  it('read the key store settings, failing closed', () => {
    expect(readKeyStoreConfig({ API_KEYS_PATH: '/p/api-keys/', API_KEYS_REFRESH_SECONDS: '5' })).toEqual({
      path: '/p/api-keys/',
      refreshMs: 5_000,
      staleLimitMs: 900_000,
      retryMs: 5_000,
    });
    expect(() => readKeyStoreConfig({})).toThrow(/API_KEYS_PATH/);
    expect(() => readKeyStoreConfig({ API_KEYS_PATH: 'p' })).toThrow(ConfigError);
    expect(() =>
      readKeyStoreConfig({ API_KEYS_PATH: '/p/', API_KEYS_REFRESH_SECONDS: '600', API_KEYS_STALE_SECONDS: '60' }),
    ).toThrow(/at least API_KEYS_REFRESH_SECONDS/);
  });

  it('read the old hash list for the import, failing on a bad entry without echoing it', () => {
    const good = hashApiKey('k');
    expect(parseHashList(` ${good.toUpperCase()} , ${hashApiKey('j')},`, 'P')).toEqual([good, hashApiKey('j')]);
    expect(() => parseHashList(' , ', 'P')).toThrow(/holds no hash/);
    let error: unknown;
    try {
      parseHashList(`${good},my-plain-key`, 'P');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/entry 2 is not a SHA-256/);
    expect((error as Error).message).not.toContain('my-plain-key');
  });
});

describe('requestApiKey: where a request presents its key', () => {
  it.each([
    [{ 'x-api-key': 'k1' }, 'k1'],
    [{ authorization: 'Bearer k2' }, 'k2'],
    [{ Authorization: 'bearer   k3 ' }, 'k3'],
    // x-api-key wins when both are sent.
    [{ 'x-api-key': 'k4', authorization: 'Bearer other' }, 'k4'],
    [{ authorization: 'k5' }, undefined],
    [{ authorization: 'Basic k6' }, undefined],
    [{ authorization: 'Bearer two words' }, undefined],
    [{}, undefined],
  ])('%j -> %s', (headers, key) => {
    expect(requestApiKey({ headers })).toBe(key);
  });
});

describe('readIngestConfig', () => {
  const base = { API_KEYS_PATH: '/telemetry-pipeline/dev/api-keys/' };

  it('reads the stream, limits and keys, with defaults', () => {
    expect(readIngestConfig({ ...base, TELEMETRY_STREAM_NAME: 'telemetry' })).toEqual({
      stream: { streamName: 'telemetry' },
      keys: { path: base.API_KEYS_PATH, refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 },
      maxBodyBytes: 5_242_880,
      maxEventsPerRequest: 10_000,
      putConcurrency: 8,
    });
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry';
    expect(readIngestConfig({ ...base, TELEMETRY_STREAM_ARN: arn, MAX_BODY_BYTES: '1024' })).toMatchObject({
      stream: { streamArn: arn },
      maxBodyBytes: 1024,
    });
  });

  it.each([
    [base, /TELEMETRY_STREAM_NAME/],
    [{ TELEMETRY_STREAM_NAME: 't' }, /API_KEYS_PATH/],
    [{ ...base, TELEMETRY_STREAM_NAME: 't', MAX_BODY_BYTES: '7000000' }, /MAX_BODY_BYTES must be between/],
    [{ ...base, TELEMETRY_STREAM_NAME: 't', MAX_BODY_BYTES: '5MB' }, /MAX_BODY_BYTES must be an integer/],
  ])('refuses %j', (env, why) => {
    expect(() => readIngestConfig(env)).toThrow(why);
  });
});
