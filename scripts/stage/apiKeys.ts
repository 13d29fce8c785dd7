/**
 * API keys: made here and shown once; only their SHA-256 digests are ever stored (in the key store,
 * lib/auth/keyRecord.ts). Also reads the hash list the functions took before the key store, for
 * `npm run keys -- import-legacy`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../../lib/errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Tells a leaked key apart from other secrets at a glance (and to secret scanners). */
export const KEY_PREFIX = 'tp_';

/** The digest the functions compare against (lowercase hex, as `printf %s "$KEY" | sha256sum` prints it). */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A new key: 256 random bits, base64url so it survives headers, shells and URLs unquoted.
 *
 * @example
 * const { key, hash } = generateApiKey(); // key 'tp_3q2-...' (46 characters), hash its sha256 hex
 */
export function generateApiKey(): { key: string; hash: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: sha256Hex(key) };
}

/**
 * The hashes in the old parameter's value (comma-separated), lowercased.
 *
 * @throws ConfigError naming the position (never the value) of an entry that is not a digest: a key
 *   pasted there by mistake must not reach a terminal or a log.
 * @example
 * parseHashList('AB12...,cd34...', '/telemetry-pipeline/dev/api-key-hashes'); // ['ab12...', 'cd34...']
 */
export function parseHashList(value: string, name: string): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(`${name} holds no hash`);
  entries.forEach((entry, position) => {
    if (!SHA256_HEX.test(entry))
      throw new ConfigError(`${name} entry ${position + 1} is not a SHA-256 hex digest (64 hex characters)`);
  });
  return entries;
}
