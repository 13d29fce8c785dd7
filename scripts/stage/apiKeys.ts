/**
 * API keys and the hash list the functions read (API_KEY_HASHES): keys are made and shown here once,
 * only their SHA-256 digests are ever stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readApiKeyHashes } from '../../lib/auth/apiKeyHashes';

/** Tells a leaked key apart from other secrets at a glance (and to secret scanners). */
export const KEY_PREFIX = 'tp_';
/**
 * Lambda caps a function's environment variables at 4 KB together; each hash takes 65 bytes of
 * API_KEY_HASHES, which shares that space with the stream, queue and secret names and ARNs.
 */
export const MAX_HASHES = 40;
/** Enough to tell hashes apart and to revoke one by; not enough to be the list. */
const SHOWN_HEX = 8;
const SHOWN_MAX = 10;

/** The digest ingest compares against (lowercase hex, as `printf %s "$KEY" | sha256sum` prints it). */
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
 * The hashes in a parameter's value, lowercased, checked by the functions' own parser so that what
 * passes here passes at cold start.
 *
 * @throws ConfigError naming the position (never the value) of an entry that is not a digest.
 */
export function parseHashList(value: string, name: string): string[] {
  return readApiKeyHashes({ [name]: value }, name).map((digest) => digest.toString('hex'));
}

export function shortHash(hash: string): string {
  return `${hash.slice(0, SHOWN_HEX)}...`;
}

/**
 * @example
 * describeHashes(['ab12cd34...', 'ef56ab78...']); // '2 hashes: ab12cd34..., ef56ab78...'
 */
export function describeHashes(hashes: string[]): string {
  const shown = hashes.slice(0, SHOWN_MAX).map(shortHash).join(', ');
  const more = hashes.length > SHOWN_MAX ? ` and ${hashes.length - SHOWN_MAX} more` : '';
  const duplicates = hashes.length - new Set(hashes).size;
  const note = duplicates > 0 ? ` (${duplicates} duplicate${duplicates === 1 ? '' : 's'})` : '';
  return `${hashes.length} hash${hashes.length === 1 ? '' : 'es'}${note}: ${shown}${more}`;
}
