/**
 * Writes valid records, isolating the ones Postgres refuses. The whole set goes in one statement; if
 * Postgres rejects it for a reason tied to data, each half is written separately, recursively, until
 * the refused records stand alone. With k refused records among n that is at most 1 + 2k*log2(n)
 * statements, and every acceptable record is written. Halves are written in sequence order, so at
 * any moment the records handled so far are a prefix of the batch: that is what makes a checkpoint
 * (`stoppedAt`) possible when time runs out.
 *
 * Transient and unknown database errors are thrown as they are (see `classifyDatabaseError`): the
 * rows are probably fine and the caller fails the invocation. Rows already committed by earlier
 * halves stay committed; the retry skips them as duplicates.
 */
import { classifyDatabaseError, describeDatabaseError } from '../db/classifyError';
import type { Queryable } from '../db/queryable';
import { writeEvents } from '../db/writeEvents';
import { ceilingOf, checkpointsFor, type CheckpointCeiling } from './checkpoints';
import type { PoisonRecord, ValidRecord } from './types';

export interface BisectOptions {
  /**
   * Asked before every statement after the first; false stops the write with `stoppedAt` set. Lets
   * the caller return a checkpoint before the Lambda timeout instead of timing out, which would
   * redo the whole batch and could never get further than this attempt did.
   */
  mayContinue?: () => boolean;
  /**
   * Per shard, the lowest poison record not yet in the DLQ: no statement checkpoints at or past it.
   * Rows Postgres refuses join it as they are found.
   */
  ceiling?: CheckpointCeiling;
}

export interface BisectResult {
  written: number;
  duplicates: number;
  rejected: PoisonRecord[];
  statements: number;
  databaseMs: number;
  /** Index into the records of the first one not handled, when the write stopped early. */
  stoppedAt: number | undefined;
}

const minBig = (a: bigint | undefined, b: bigint): bigint => (a === undefined || b < a ? b : a);

class Stop extends Error {
  constructor(readonly index: number) {
    super('stopped before the deadline');
  }
}

/**
 * @example
 * const result = await bisectWrite(db, valid, { mayContinue: () => context.getRemainingTimeInMillis() > 5_000 });
 */
export async function bisectWrite(
  db: Queryable,
  records: readonly ValidRecord[],
  options: BisectOptions = {},
): Promise<BisectResult> {
  const result: BisectResult = {
    written: 0,
    duplicates: 0,
    rejected: [],
    statements: 0,
    databaseMs: 0,
    stoppedAt: undefined,
  };
  const mayContinue = options.mayContinue ?? (() => true);
  const ceiling = new Map(options.ceiling ?? []);

  const write = async (from: number, to: number): Promise<void> => {
    if (result.statements > 0 && !mayContinue()) throw new Stop(from);
    const slice = records.slice(from, to);
    const started = performance.now();
    result.statements += 1;
    let failure: unknown;
    try {
      const { written } = await writeEvents(
        db,
        slice.map((record) => record.row),
        checkpointsFor(
          slice.map((valid) => valid.record),
          ceiling,
        ),
      );
      result.written += written;
      result.duplicates += slice.length - written;
    } catch (error) {
      failure = error;
    }
    result.databaseMs += performance.now() - started;
    if (failure === undefined) return;
    if (classifyDatabaseError(failure) !== 'data') throw failure;
    if (to - from === 1) {
      const [only] = slice;
      if (only) {
        result.rejected.push({ record: only.record, reason: 'db-rejected', error: describeDatabaseError(failure) });
        // Later halves must not checkpoint past it before it is in the DLQ.
        for (const [key, sequence] of ceilingOf([only.record])) ceiling.set(key, minBig(ceiling.get(key), sequence));
      }
      return;
    }
    const middle = from + Math.ceil((to - from) / 2);
    await write(from, middle);
    await write(middle, to);
  };

  if (records.length === 0) return result;
  try {
    await write(0, records.length);
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    result.stoppedAt = error.index;
  }
  return result;
}
