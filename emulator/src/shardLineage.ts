/**
 * Which shards a mapping may read, and from where. Lambda reads a child shard only after its
 * parent (or both parents, after a merge) has been read to SHARD_END and fully processed, so a
 * partition key's records keep their order across a split or merge.
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import type { StartingPosition } from './types';

export type ShardPlan = { action: 'start'; position: StartingPosition } | { action: 'wait' } | { action: 'skip' };

export interface LineageState {
  /** Every shard ListShards returned, by id. */
  known: ReadonlyMap<string, Shard>;
  /** Shards read to the end and done, or skipped. */
  finished: ReadonlySet<string>;
  /** Shards that existed when the mapping started: they begin at the mapping's starting position. */
  initial: ReadonlySet<string>;
  startingPosition: StartingPosition;
  /** Shards with a checkpoint from an earlier run: never skipped, they resume after it. */
  resumed?: ReadonlySet<string>;
}

/**
 * The parents this mapping knows of; a parent gone from ListShards has aged out of retention.
 *
 * @example
 * parentsOf(mergedShard, known); // ['shardId-000000000001', 'shardId-000000000002']
 */
export function parentsOf(shard: Shard, known: ReadonlyMap<string, Shard>): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => !!id && known.has(id));
}

/**
 * @example
 * const plan = planShard(shard, { known, finished, initial, startingPosition: 'TRIM_HORIZON' });
 * if (plan.action === 'start') startWorker(shard.ShardId, plan.position);
 */
export function planShard(shard: Shard, state: LineageState): ShardPlan {
  const id = shard.ShardId ?? '';
  const isInitial = state.initial.has(id);
  // LATEST only concerns the shards open at the start: closed ones have nothing after their tip.
  const closed = !!shard.SequenceNumberRange?.EndingSequenceNumber;
  if (isInitial && state.startingPosition === 'LATEST' && closed && !state.resumed?.has(id)) return { action: 'skip' };
  if (!parentsOf(shard, state.known).every((parent) => state.finished.has(parent))) return { action: 'wait' };
  // A shard born after the start is read whole: its records are all newer than the start.
  return { action: 'start', position: isInitial ? state.startingPosition : 'TRIM_HORIZON' };
}
