/**
 * API keys are configured as SHA-256 hashes, never in clear, and a presented key is checked
 * against every configured hash in constant time: neither the timing nor the logs say how close a
 * guess came, or which key matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Longest key we bother hashing: anything longer is not one of ours, and hashing it is wasted work. */
export const MAX_API_KEY_LENGTH = 512;

/**
 * The SHA-256 of a key, as the lowercase hex that `API_KEY_HASHES` holds.
 *
 * @example
 * hashApiKey('s3cret'); // 'e6f4...' — put this, not the key, in API_KEY_HASHES
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * True when `presented` hashes to one of `hashes`. Every hash is compared (no early exit), each
 * comparison in constant time; digests all have the same length, so `timingSafeEqual` never throws.
 *
 * @example
 * if (!apiKeyMatches(headerValue(event, 'x-api-key'), config.apiKeyHashes)) return errorAnswer(unauthorized);
 */
export function apiKeyMatches(presented: string | undefined, hashes: readonly Buffer[]): boolean {
  if (presented === undefined || presented.length === 0 || presented.length > MAX_API_KEY_LENGTH) return false;
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let matched = false;
  for (const hash of hashes) {
    // the comparison comes first so that it still runs for every hash after a match
    matched = timingSafeEqual(digest, hash) || matched;
  }
  return matched;
}
