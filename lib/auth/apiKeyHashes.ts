/**
 * Reads the configured API key hashes. Fails closed: no usable hash means no function, rather than
 * a function that lets everyone in or nobody in without saying why.
 */
import { list, type Env } from '../config';
import { ConfigError } from '../errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Parses `API_KEY_HASHES` (comma-separated lowercase SHA-256 hex digests of the keys).
 *
 * @throws ConfigError when the variable is unset or any entry is not a SHA-256 hex digest.
 * @example
 * const hashes = readApiKeyHashes(process.env); // Buffer[] of 32-byte digests
 */
export function readApiKeyHashes(env: Env, name = 'API_KEY_HASHES'): Buffer[] {
  const entries = list(env, name);
  if (entries.length === 0)
    throw new ConfigError(`${name} is required: a comma-separated list of SHA-256 hex digests of the API keys`);
  return entries.map((entry, position) => {
    const hex = entry.toLowerCase();
    // The position, never the value: a key pasted here by mistake must not end up in the logs.
    if (!SHA256_HEX.test(hex))
      throw new ConfigError(`${name} entry ${position + 1} is not a SHA-256 hex digest (64 hex characters)`);
    return Buffer.from(hex, 'hex');
  });
}
