/**
 * With a parallelization factor above 1, Lambda spreads a shard's partition keys over that many
 * concurrent batches by hashing the key, so one key's records always go to one lane, in order.
 */
import { createHash } from 'node:crypto';

/**
 * @example
 * laneOf('sensor-7', 3); // 0, 1 or 2, the same every time for 'sensor-7'
 */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  // MD5, as Kinesis itself uses to map partition keys to hash keys.
  return createHash('md5').update(partitionKey, 'utf8').digest().readUInt32BE(0) % lanes;
}
