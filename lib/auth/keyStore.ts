/**
 * The API keys a function accepts, read from the key store at run time and cached, so that a key
 * created or revoked with `npm run keys` takes effect without a deploy:
 *
 * - the set is loaded on the first request of a container and refreshed on the first request after
 *   `refreshMs` (60 s deployed): a new or revoked key takes effect within that interval;
 * - a set that cannot be loaded at cold start lets nobody in (fail closed), and says so in one log
 *   line per attempt; attempts are at most one per `retryMs`, so an outage is not a storm of calls;
 * - a refresh that fails keeps the last good set for at most `staleLimitMs` (15 min deployed) from
 *   when it was loaded, then fails closed as a cold start does.
 *
 * A request that triggers a load waits for it (one load at a time; others join it): Lambda freezes a
 * container between invocations, so a refresh started in the background would not run. When a
 * usable set is loaded already, it waits at most REFRESH_WAIT_MS and then answers from that set; the
 * load goes on (bounded by the SSM client's own timeout) and the next request finds its result.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { errorCode, errorMessage } from '../errors';
import { MAX_API_KEY_LENGTH } from './apiKey';
import type { KeyRecord } from './keyRecord';

export interface KeyStoreTiming {
  /** How old a loaded set may be before the next request refreshes it. */
  refreshMs: number;
  /** How long after it was loaded a set is still used while refreshes fail. */
  staleLimitMs: number;
  /** Least time between two load attempts after a failure. */
  retryMs: number;
}

/** Who a request is, once its key matched: what handlers scope reads by and logs name. */
export interface Caller {
  keyId: string;
  tenant: string;
}

export type KeyCheck =
  | { ok: true; caller: Caller }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' }
  | { ok: false; reason: 'unavailable' };

/** How long a request waits for a refresh when it could answer from the set it has. */
export const REFRESH_WAIT_MS = 300;

interface LoadedKey {
  id: string;
  tenant: string;
  digest: Buffer;
  /** Epoch ms from which the key is refused; Infinity for none. */
  expiresAt: number;
}

interface LoadedSet {
  keys: LoadedKey[];
  loadedAt: number;
}

/** Resolves when `work` settles or after `ms`, whichever comes first (it never rejects: refresh does not). */
async function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work, waited]);
  clearTimeout(timer);
}

function loaded(records: readonly KeyRecord[]): LoadedKey[] {
  return records.map((record) => ({
    id: record.id,
    tenant: record.tenant,
    digest: Buffer.from(record.hash, 'hex'),
    expiresAt: record.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(record.expiresAt),
  }));
}

/**
 * @example
 * const store = new KeyStore(() => loadKeyRecords(ssm, path, logger), timing, logger);
 * const check = await store.check(requestApiKey(event));
 * if (check.ok) logger.info('request', { keyId: check.caller.keyId });
 */
export class KeyStore {
  private set: LoadedSet | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<readonly KeyRecord[]>,
    private readonly timing: KeyStoreTiming,
    private readonly logger: Pick<Logger, 'warn' | 'error' | 'info'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Checks a presented key. Every loaded key is compared, each in constant time, so the time taken
   * says nothing about which key (or whether any) matched.
   */
  async check(presented: string | undefined): Promise<KeyCheck> {
    if (presented === undefined || presented.length === 0 || presented.length > MAX_API_KEY_LENGTH)
      return { ok: false, reason: 'missing' };
    const keys = await this.current();
    if (keys === undefined) return { ok: false, reason: 'unavailable' };
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let match: LoadedKey | undefined;
    for (const key of keys) {
      // the comparison comes first so that it still runs for every key after a match
      if (timingSafeEqual(digest, key.digest) && match === undefined) match = key;
    }
    if (match === undefined) return { ok: false, reason: 'unknown' };
    if (this.now() >= match.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, caller: { keyId: match.id, tenant: match.tenant } };
  }

  /** The usable set, loading or refreshing it first when due; undefined when there is none (fail closed). */
  private async current(): Promise<LoadedKey[] | undefined> {
    const now = this.now();
    const due = this.set === undefined || now - this.set.loadedAt >= this.timing.refreshMs;
    if (due && (this.loading !== undefined || now - this.lastAttempt >= this.timing.retryMs)) {
      this.loading ??= this.refresh().finally(() => {
        this.loading = undefined;
      });
      const usable = this.set !== undefined && now - this.set.loadedAt < this.timing.staleLimitMs;
      await (usable ? within(this.loading, REFRESH_WAIT_MS) : this.loading);
    }
    if (this.set === undefined) return undefined;
    if (this.now() - this.set.loadedAt < this.timing.staleLimitMs) return this.set.keys;
    this.logger.error('API key set is older than its stale limit and cannot be refreshed: refusing every request', {
      loadedSecondsAgo: Math.round((this.now() - this.set.loadedAt) / 1000),
      staleLimitSeconds: this.timing.staleLimitMs / 1000,
    });
    this.set = undefined;
    return undefined;
  }

  private async refresh(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      const records = await this.load();
      this.set = { keys: loaded(records), loadedAt: this.now() };
    } catch (error) {
      const facts = { error: errorMessage(error), code: errorCode(error) ?? (error as Error).name };
      if (this.set === undefined) {
        this.logger.error('API key store cannot be read: refusing every request until it can (fail closed)', facts);
        return;
      }
      this.logger.warn('API key store refresh failed: keeping the last good set', {
        ...facts,
        loadedSecondsAgo: Math.round((this.now() - this.set.loadedAt) / 1000),
        staleLimitSeconds: this.timing.staleLimitMs / 1000,
      });
    }
  }
}
