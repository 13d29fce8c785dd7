/**
 * The Kinesis partition key of an event: its tenant and source, so that one source's events keep
 * their order on one shard, and two tenants' sources of the same name (every tenant has an `api`)
 * spread over the shards instead of sharing one.
 */
import { createHash } from 'node:crypto';

/** Kinesis partition keys are 1-256 Unicode characters. */
const MAX_PARTITION_KEY_LENGTH = 256;

/**
 * `<tenant>/<source>`; when that is over Kinesis's 256 characters, the source part is its SHA-256
 * (base64url): still one key per source, so order holds.
 *
 * @example
 * eventPartitionKey('acme', 'checkout'); // 'acme/checkout'
 */
export function eventPartitionKey(tenant: string, source: string): string {
  const key = `${tenant}/${source}`;
  if (key.length <= MAX_PARTITION_KEY_LENGTH) return key;
  return `${tenant}/#${createHash('sha256').update(source, 'utf8').digest('base64url')}`;
}
