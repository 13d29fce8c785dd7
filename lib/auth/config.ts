/**
 * Where the functions that authenticate callers (ingest, status) find the API keys, and how often
 * they look again. Read once per container; ConfigError names the variable.
 */
import { integer, requiredString, type Env } from '../config';
import { ConfigError } from '../errors';
import type { KeyStoreTiming } from './keyStore';

export interface KeyStoreConfig extends KeyStoreTiming {
  /** The SSM path the keys are parameters right under, ending in `/`. */
  path: string;
}

/** Defaults: a revoked key stops working within a minute; an SSM outage is ridden out for 15 minutes. */
export const DEFAULT_REFRESH_SECONDS = 60;
export const DEFAULT_STALE_LIMIT_SECONDS = 900;
export const DEFAULT_RETRY_SECONDS = 5;

/**
 * `API_KEYS_PATH` (required), `API_KEYS_REFRESH_SECONDS` (1-3600, default 60),
 * `API_KEYS_STALE_SECONDS` (at least the refresh interval, default 900), `API_KEYS_RETRY_SECONDS`
 * (1-3600, default 5).
 *
 * @example
 * const keys = readKeyStoreConfig(process.env); // { path: '/telemetry-pipeline/dev/api-keys/', refreshMs: 60000, ... }
 */
export function readKeyStoreConfig(env: Env): KeyStoreConfig {
  const path = requiredString(env, 'API_KEYS_PATH');
  if (!/^\/[\w.\-/]*\/$/.test(path))
    throw new ConfigError(`API_KEYS_PATH must be an SSM path that starts and ends with /, got ${JSON.stringify(path)}`);
  const refreshSeconds = integer(env, 'API_KEYS_REFRESH_SECONDS', DEFAULT_REFRESH_SECONDS, 1, 3600);
  const staleSeconds = integer(env, 'API_KEYS_STALE_SECONDS', DEFAULT_STALE_LIMIT_SECONDS, 1, 86_400);
  if (staleSeconds < refreshSeconds)
    throw new ConfigError(
      `API_KEYS_STALE_SECONDS (${staleSeconds}) must be at least API_KEYS_REFRESH_SECONDS (${refreshSeconds})`,
    );
  const retrySeconds = integer(env, 'API_KEYS_RETRY_SECONDS', DEFAULT_RETRY_SECONDS, 1, 3600);
  return { path, refreshMs: refreshSeconds * 1000, staleLimitMs: staleSeconds * 1000, retryMs: retrySeconds * 1000 };
}
