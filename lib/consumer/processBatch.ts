/**
 * The consumer's work for one Kinesis batch (one shard, up to 1,000 records): decode, write every
 * valid event in one statement (bisecting around rows Postgres refuses), dead-letter every poison
 * record with its data. What happens to the batch's records under each fault:
 *
 * | fault                                   | this function            | Lambda then                          | records                                           |
 * |-----------------------------------------|--------------------------|--------------------------------------|---------------------------------------------------|
 * | none                                    | `batchItemFailures: []`  | checkpoints the whole batch          | written, or in the DLQ with their data            |
 * | bad JSON / schema / Postgres data error | isolates, dead-letters   | checkpoints the whole batch          | good ones written; poison in the DLQ              |
 * | transient DB fault (conn refused/reset, | throws                   | retries the whole batch; after       | committed rows stay (the retry skips them); no    |
 * | timeout, shutdown, too many conns)      |                          | maximumRetryAttempts bisects it and  | poison is sent yet (the retry finds it again);    |
 * | or an unknown DB error                  |                          | sends its on-failure record to DLQ   | the on-failure record keeps the range replayable  |
 * | DLQ send fails (after retries)          | throws `DeadLetterError` | retries the whole batch              | written rows are skipped as duplicates next time; |
 * |                                         |                          |                                      | poison is sent again (at-least-once in the DLQ)   |
 * | Lambda deadline near during bisection   | `batchItemFailures:      | retries from that record only        | the handled prefix is written / dead-lettered;    |
 * |                                         |  [first unhandled]`      |                                      | the rest comes again                              |
 *
 * Why throw rather than return a checkpoint for faults: a checkpoint says "everything before this
 * record is done", which is only true when this function has finished with a prefix of the batch
 * (the deadline case). A database or DLQ outage leaves poison records of the prefix unsent, and a
 * thrown error is also what `bisectBatchOnFunctionError` and the on-failure destination act on.
 */
import type { KinesisStreamBatchItemFailure } from 'aws-lambda';
import { advanceCheckpoints } from '../db/checkpoints';
import type { Queryable } from '../db/queryable';
import { deadLetterRecords, type DeadLetterTarget } from '../dlq/deadLetterRecords';
import { bySequence, type ShardRecord } from '../kinesis/shardRecord';
import { bisectWrite } from './bisectWrite';
import { ceilingOf, checkpointsFor } from './checkpoints';
import { decodeRecords } from './decodeRecords';
import type { BatchStats, PoisonRecord } from './types';

export interface ConsumerDeps extends DeadLetterTarget {
  db: Queryable;
  /** Milliseconds before the Lambda timeout (`context.getRemainingTimeInMillis`); omitted: no deadline. */
  remainingTimeMs?: () => number;
  /** Stop bisecting and return a checkpoint when less than this remains. Default 5,000 ms. */
  deadlineMarginMs?: number;
}

export interface BatchResult {
  batchItemFailures: KinesisStreamBatchItemFailure[];
  stats: BatchStats;
}

/**
 * Milliseconds between the oldest record's arrival on the stream and now.
 *
 * @example
 * iteratorAgeMs(event.Records); // 1200
 */
export function iteratorAgeMs(records: readonly ShardRecord[], now: number = Date.now()): number {
  if (records.length === 0) return 0;
  const oldest = Math.min(...records.map((record) => record.approximateArrivalTimestamp));
  return Math.max(0, now - oldest * 1000);
}

const poisonOrder = (a: PoisonRecord, b: PoisonRecord): number => bySequence(a.record, b.record);

/**
 * @param records one shard's records in sequence order (a Lambda batch, or a page the fill read).
 * @returns `batchItemFailures` empty when every record is written or dead-lettered; one item (the
 *   first record not handled) when the deadline cut the write short.
 * @throws when the database or the DLQ fails in a way that retrying may fix: nothing is then
 *   checkpointed past what is certainly done, and the caller must fail the batch.
 * @example
 * const { batchItemFailures, stats } = await processBatch(event.Records.map(fromLambdaRecord), {
 *   db, sqs, dlqUrl, maxMessageBytes: 262_144, functionName: 'consumer',
 *   remainingTimeMs: () => context.getRemainingTimeInMillis(),
 * });
 */
export async function processBatch(records: readonly ShardRecord[], deps: ConsumerDeps): Promise<BatchResult> {
  const started = performance.now();
  const margin = deps.deadlineMarginMs ?? 5_000;
  const remaining = deps.remainingTimeMs;
  const { valid, poison } = decodeRecords(records);

  const write = await bisectWrite(deps.db, valid, {
    ceiling: ceilingOf(poison.map((entry) => entry.record)),
    ...(remaining ? { mayContinue: () => remaining() > margin } : {}),
  });

  let deadLetters = [...poison, ...write.rejected];
  const batchItemFailures: KinesisStreamBatchItemFailure[] = [];
  const stopped = write.stoppedAt === undefined ? undefined : valid[write.stoppedAt];
  if (stopped) {
    // Everything before the first unhandled record is done once its poison is sent; the rest comes again.
    const first = BigInt(stopped.record.sequenceNumber);
    deadLetters = deadLetters.filter((entry) => BigInt(entry.record.sequenceNumber) < first);
    batchItemFailures.push({ itemIdentifier: stopped.record.sequenceNumber });
  }
  const dlqMessages = await deadLetterRecords(deadLetters.sort(poisonOrder), deps);
  let statements = write.statements;
  if (deadLetters.length > 0) {
    // The dead letters are in the DLQ now: checkpoint past them, up to the last record handled.
    const end = stopped === undefined ? undefined : BigInt(stopped.record.sequenceNumber);
    const handled = records.filter((record) => end === undefined || BigInt(record.sequenceNumber) < end);
    await advanceCheckpoints(deps.db, checkpointsFor(handled));
    statements += 1;
  }

  return {
    batchItemFailures,
    stats: {
      records: records.length,
      written: write.written,
      duplicates: write.duplicates,
      poison: deadLetters.length,
      statements,
      databaseMs: write.databaseMs,
      totalMs: performance.now() - started,
      iteratorAgeMs: iteratorAgeMs(records),
      dlqMessages,
      checkpointed: stopped !== undefined,
    },
  };
}
