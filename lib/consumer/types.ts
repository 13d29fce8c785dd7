import type { ShardRecord } from '../kinesis/shardRecord';
import type { EventRow } from '../db/writeEvents';

/** A record that decoded and validated, with the row it becomes. */
export interface ValidRecord {
  record: ShardRecord;
  row: EventRow;
}

export type { PoisonRecord } from '../dlq/deadLetterRecords';

/** What one invocation did; published as metrics. */
export interface BatchStats {
  records: number;
  written: number;
  duplicates: number;
  poison: number;
  /** Statements sent to Postgres: 1 without database rejections, O(k log n) with k of them. */
  statements: number;
  databaseMs: number;
  totalMs: number;
  /** Now minus the oldest record's arrival: how far behind the stream this batch was. */
  iteratorAgeMs: number;
  dlqMessages: number;
  /** True when the batch was cut short near the Lambda deadline and a checkpoint returned. */
  checkpointed: boolean;
}
