/**
 * API keys are stored as SHA-256 hashes, never in clear (lib/auth/keyRecord.ts); the key store
 * compares a presented key against every stored hash in constant time (lib/auth/keyStore.ts).
 */
import { createHash } from 'node:crypto';

/** Longest key we bother hashing: anything longer is not one of ours, and hashing it is wasted work. */
export const MAX_API_KEY_LENGTH = 512;

/**
 * The SHA-256 of a key, as the lowercase hex a key record holds.
 *
 * @example
 * hashApiKey('s3cret'); // 'e6f4...': stored, where the key never is
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
