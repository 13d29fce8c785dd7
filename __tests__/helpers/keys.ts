/**
 * Key stores for tests that exercise a handler rather than the key store itself: the real KeyStore
 * (lib/auth/keyStore.ts) over a loader that returns the given keys. The SSM-backed loader is tested
 * against moto and the local SSM stand-in (keyStore.ssm.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { hashApiKey } from '../../lib/auth/apiKey';
import { formatKeyRecord, type KeyRecord } from '../../lib/auth/keyRecord';
import { KeyStore, type KeyStoreTiming } from '../../lib/auth/keyStore';

export interface TestKey {
  key: string;
  tenant: string;
  id?: string;
  expiresAt?: string | null;
}

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TIMING: KeyStoreTiming = { refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 };

/** A key record as `npm run keys -- create` would store it. */
export function keyRecord(key: TestKey): KeyRecord {
  return {
    id: key.id ?? `key_${randomBytes(6).toString('hex')}`,
    tenant: key.tenant,
    name: 'test',
    hash: hashApiKey(key.key),
    createdAt: new Date().toISOString(),
    expiresAt: key.expiresAt ?? null,
  };
}

/**
 * @example
 * const keys = testKeyStore([{ key: 'k1', tenant: 'acme' }]);
 */
export function testKeyStore(keys: readonly TestKey[], timing: KeyStoreTiming = TIMING): KeyStore {
  const records = keys.map(keyRecord);
  return new KeyStore(async () => records, timing, QUIET);
}

/**
 * Puts keys into an SSM key store (the local stand-in or moto) as `npm run keys -- create` does, under
 * a path of their own, for tests of the functions configured from the environment.
 *
 * @example
 * const path = await seedKeyStore(testSsm(), [{ key: 'k1', tenant: 'acme' }]); // API_KEYS_PATH
 */
export async function seedKeyStore(ssm: SSMClient, keys: readonly TestKey[], path = uniqueKeyPath()): Promise<string> {
  for (const key of keys) {
    const record = keyRecord(key);
    await ssm.send(
      new PutParameterCommand({ Name: `${path}${record.id}`, Value: formatKeyRecord(record), Type: 'SecureString' }),
    );
  }
  return path;
}

export function uniqueKeyPath(): string {
  return `/test-${randomBytes(4).toString('hex')}/api-keys/`;
}

/** What the status function needs beside the database: its cursor secret (locally a plain value). */
export const TEST_CURSOR_SECRET = 'test-cursor-secret-0123456789abcdef';
