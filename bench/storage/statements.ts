/**
 * The write statements the storage benchmark compares, all cut from the consumer's own
 * `WRITE_EVENTS_SQL` so they follow it when it changes. The old schema (migrations/001) cannot run
 * that statement as it is: it has no rollup table and no tenant column, and its primary key is
 * `(event_id)`, which `ON CONFLICT (tenant, event_id, event_time)` does not match. What the consumer
 * ran there before 002 is the same statement without the rollup CTE, without the tenant, and with
 * the old conflict target (commit 9b0adb7's text).
 */
import { WRITE_EVENTS_SQL } from '../../lib/db/writeEvents';

const ROLLUP_START = '), rolled_up AS (';
const ROLLUP_END = '), checkpointed AS (';
/** The `inserted` CTE's RETURNING clause, the columns the rollup CTE reads: one line of the text. */
const RETURNING_LINE = /^ *RETURNING [^\n]*$/m;
const NEW_CONFLICT = 'ON CONFLICT (tenant, event_id, event_time) DO NOTHING';
const OLD_CONFLICT = 'ON CONFLICT (event_id) DO NOTHING';
/** migrations/003's column, where the insert names it: the column list and the record type (`SELECT *` reads it). */
const TENANT_CUTS: readonly [string, string][] = [
  ['(tenant, event_id, source,', '(event_id, source,'],
  ['AS r(\n    tenant text, event_id uuid,', 'AS r(\n    event_id uuid,'],
];

/** `text` with `from` replaced by `to`, where `from` must occur exactly once (else the cut is stale). */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(`WRITE_EVENTS_SQL changed: expected ${JSON.stringify(from)} exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

function cutRollup(): { withoutRollup: string; rollupCte: string; returning: string } {
  const start = WRITE_EVENTS_SQL.indexOf(ROLLUP_START);
  const end = WRITE_EVENTS_SQL.indexOf(ROLLUP_END);
  if (start < 0 || end < start) throw new Error('WRITE_EVENTS_SQL changed: no rolled_up CTE before checkpointed');
  const returning = RETURNING_LINE.exec(WRITE_EVENTS_SQL.slice(0, start))?.[0].trim();
  if (!returning) throw new Error('WRITE_EVENTS_SQL changed: no RETURNING line in the inserted CTE');
  const rollupCte = `rolled_up AS (${WRITE_EVENTS_SQL.slice(start + ROLLUP_START.length, end)})`;
  // Without rollups nothing reads the inserted columns: RETURNING 1, as the statement had before 002.
  const withoutRollup = replaceOnce(
    WRITE_EVENTS_SQL.slice(0, start) + WRITE_EVENTS_SQL.slice(end),
    returning,
    'RETURNING 1',
  );
  return { withoutRollup, rollupCte, returning };
}

const cut = cutRollup();

/** The consumer's statement on the partitioned schema without its rollup CTE: partitioning alone. */
export const PARTITIONED_NO_ROLLUP_SQL = cut.withoutRollup;

/**
 * The consumer's statement as it ran on the unpartitioned schema (migrations/001 only). The batch's
 * rows still carry `tenant` (rows.ts): `jsonb_to_recordset` ignores keys it is not given a column for.
 */
export const UNPARTITIONED_WRITE_SQL = TENANT_CUTS.reduce(
  (text, [from, to]) => replaceOnce(text, from, to),
  replaceOnce(cut.withoutRollup, NEW_CONFLICT, OLD_CONFLICT),
);

/**
 * The consumer's rollup upsert (a CTE reading `inserted`), for the bulk fill of the partitioned
 * table: its rows get their rollups as the consumer would have kept them.
 */
export const ROLLUP_CTE = cut.rollupCte;

/** The consumer's `RETURNING ...` of the inserted rows: what ROLLUP_CTE reads from `inserted`. */
export const INSERTED_RETURNING = cut.returning;
