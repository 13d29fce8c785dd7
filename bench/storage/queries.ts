/**
 * Part 5: the query API's page (`GET /telemetry`, lib/status/queryEvents.ts) on the partitioned
 * table at `--rows` rows: one source's events over a 24-hour window inside the fill's days, a page of
 * 100 at a time, read off migrations/003's (tenant, source, event_time, event_id) index from a
 * keyset position. Timed: the first page, pages after positions 50% and 90% into the source's rows
 * in the window, and the page before the 90% position (a previous page).
 *
 * The baseline, on the same table in the same run, is the pagination a naive implementation would
 * do: the same filters and order with `OFFSET <depth>`, which reads and throws away every row before
 * the page. Both ask for the same rows (limit + 1, as queryEvents does to tell whether there is
 * more), and the run checks that both return the same ids before it times them. Keyset and baseline
 * alternate sample by sample (bench/alternate.ts).
 */
import type { Queryable } from '../../lib/db/queryable';
import type { CursorPosition, EventQuery } from '../../lib/status/cursor';
import { queryEvents, windowStart } from '../../lib/status/queryEvents';
import type { StoredEventRow } from '../../lib/status/storedEvent';
import { alternate } from '../alternate';
import { type Summary, summarize, timed } from '../stats';
import type { BenchDatabase, Databases } from './databases';
import { explain, type LookupPlan, READ_COLUMNS, recording } from './lookups';
import { BENCH_TENANT, DAY_MS } from './rows';

/** The query API's default page size (lib/status/handleQuery.ts). */
export const PAGE_LIMIT = 100;
/** One of rows.ts's SOURCES: every source holds the same share of the fill. */
export const QUERY_SOURCE = 'service-7';
const WINDOW_MS = DAY_MS;
const ROUNDS = 40;
const WARMUP_ROUNDS = 5;
/** Per case: stop starting rounds after this long (at least one measured round runs). */
const TIME_LIMIT_MS = 2 * 60_000;
/** The (tenant, source, event_time, event_id) index of migrations/003; partitions get indexes of their own. */
const QUERY_INDEX = 'telemetry_events_tenant_source_time_idx';

// queryEvents' filters, as its WHERE has them: the tenant, the source, the type (null: any), the window.
const FILTERS = `tenant = $1 AND source = $2 AND ($3::text IS NULL OR type = $3)
  AND event_time >= 'epoch'::timestamptz + $4::bigint * interval '1 microsecond'
  AND event_time < 'epoch'::timestamptz + $5::bigint * interval '1 microsecond'`;

/** The naive page: the same filters and order, OFFSET $6 LIMIT $7. */
const OFFSET_PAGE = `SELECT ${READ_COLUMNS} FROM telemetry_events
  WHERE ${FILTERS}
  ORDER BY event_time, event_id OFFSET $6 LIMIT $7`;

/** The row at (0-based) index $6 of the window: where a cursor into it would stand. */
const ROW_AT = `SELECT floor(extract(epoch FROM event_time) * 1000000)::bigint::text AS time_us, event_id::text AS event_id
  FROM telemetry_events WHERE ${FILTERS}
  ORDER BY event_time, event_id OFFSET $6 LIMIT 1`;

const COUNT = `SELECT count(*) AS n FROM telemetry_events WHERE ${FILTERS}`;

export type PageCaseName = 'first' | 'after50' | 'after90' | 'before90';

export interface PageCase {
  name: PageCaseName;
  /** The keyset position's direction (the first page: after windowStart). */
  direction: CursorPosition['direction'];
  /** Rows of the window before the page: what OFFSET skips. */
  offset: number;
  /** Rows each page returned (limit + 1 unless the window ends first). */
  rows: number;
  keyset: Summary;
  baseline: Summary;
  /** baseline p50 / keyset p50. */
  ratio: number;
  samplesMs: { keyset: number[]; baseline: number[] };
}

export interface QueryPageResult {
  tenant: string;
  source: string;
  window: { from: string; to: string };
  /** The source's rows in the window. */
  windowRows: number;
  limit: number;
  rounds: number;
  warmup: number;
  cases: PageCase[];
  /** The deep keyset page (after the 90% position), EXPLAIN (ANALYZE, BUFFERS). */
  plan: LookupPlan;
  /** The OFFSET page at the same depth, for comparison (JSON only). */
  baselinePlan: LookupPlan;
  /** Whether every index the deep keyset plan scans is a partition of QUERY_INDEX (and it scans some). */
  usesQueryIndex: boolean;
}

/**
 * A 24-hour window inside the fill's days: from noon of the middle day, so that it spans two daily
 * partitions as a "last 24 hours" query mostly does; the one day itself when the fill has one.
 *
 * @example
 * queryWindow(fillStart, 30); // { fromMs: fillStart + 14.5 days, toMs: fillStart + 15.5 days }
 */
export function queryWindow(fillStart: number, fillDays: number): { fromMs: number; toMs: number } {
  const fromMs = fillDays < 2 ? fillStart : fillStart + Math.floor((fillDays - 1) / 2) * DAY_MS + WINDOW_MS / 2;
  return { fromMs, toMs: fromMs + WINDOW_MS };
}

function filterValues(query: EventQuery): unknown[] {
  return [BENCH_TENANT, query.source, query.type, query.fromUs, query.toUs];
}

async function rowAt(db: Queryable, query: EventQuery, index: number): Promise<{ time_us: string; event_id: string }> {
  const { rows } = await db.query<{ time_us: string; event_id: string }>(ROW_AT, [...filterValues(query), index]);
  const row = rows[0];
  if (!row) throw new Error(`no row at ${index} of ${query.source}'s window`);
  return row;
}

async function offsetPage(db: Queryable, query: EventQuery, offset: number, limit: number): Promise<StoredEventRow[]> {
  const { rows } = await db.query<StoredEventRow>(OFFSET_PAGE, [...filterValues(query), offset, limit], {
    idempotent: true,
  });
  return rows;
}

interface CasePlan {
  name: PageCaseName;
  position: CursorPosition;
  offset: number;
  /** Rows OFFSET returns for the page: limit + 1, fewer at the window's start. */
  take: number;
}

/** The keyset position and the OFFSET of each case, from the rows of the window (SQL, untimed). */
async function casePlans(db: Queryable, query: EventQuery, windowRows: number): Promise<CasePlan[]> {
  const take = PAGE_LIMIT + 1;
  const plans: CasePlan[] = [{ name: 'first', position: windowStart(query), offset: 0, take }];
  for (const [name, fraction] of [
    ['after50', 0.5],
    ['after90', 0.9],
  ] as const) {
    // After the row just before the depth: the page starts at row `depth`, as OFFSET depth does.
    const depth = Math.max(1, Math.round(windowRows * fraction));
    const row = await rowAt(db, query, depth - 1);
    plans.push({
      name,
      position: { direction: 'after', timeUs: row.time_us, eventId: row.event_id },
      offset: depth,
      take,
    });
  }
  // Before the row at the depth (a row there is, however small the window): the limit + 1 rows that end just before it.
  const depth = Math.min(windowRows - 1, Math.max(1, Math.round(windowRows * 0.9)));
  const row = await rowAt(db, query, depth);
  plans.push({
    name: 'before90',
    position: { direction: 'before', timeUs: row.time_us, eventId: row.event_id },
    offset: Math.max(0, depth - take),
    take: Math.min(take, depth),
  });
  return plans;
}

async function measureCase(
  database: BenchDatabase,
  query: EventQuery,
  plan: CasePlan,
  log: (line: string) => void,
): Promise<PageCase> {
  const db = database.db;
  // A broken check, not a timing: both ways must give the same page.
  const keysetIds = (await queryEvents(db, BENCH_TENANT, query, plan.position, PAGE_LIMIT)).rows.map((r) => r.event_id);
  const offsetIds = (await offsetPage(db, query, plan.offset, plan.take)).map((r) => r.event_id);
  // The keyset page is the limit's rows nearest its position (the one more it reads says whether
  // there is more): the first of the OFFSET page's going forward, the last going back.
  const baselineIds =
    plan.position.direction === 'after' ? offsetIds.slice(0, keysetIds.length) : offsetIds.slice(-keysetIds.length);
  if (keysetIds.join() !== baselineIds.join())
    throw new Error(
      `${plan.name}: queryEvents returned ${keysetIds.length} rows, OFFSET ${plan.offset} ${baselineIds.length}, not the same ids`,
    );
  // Rows read per page, by both: the limit and the one more.
  const rows = offsetIds.length;
  const check = (name: string, got: number, rows: number): void => {
    if (got !== rows) throw new Error(`${plan.name}: ${name} returned ${got} rows, expected ${rows}`);
  };
  const { a, b } = await alternate(
    () =>
      timed(async () =>
        check(
          'queryEvents',
          (await queryEvents(db, BENCH_TENANT, query, plan.position, PAGE_LIMIT)).rows.length,
          keysetIds.length,
        ),
      ),
    () =>
      timed(async () =>
        check('OFFSET', (await offsetPage(db, query, plan.offset, plan.take)).length, offsetIds.length),
      ),
    { rounds: ROUNDS, warmup: WARMUP_ROUNDS, timeLimitMs: TIME_LIMIT_MS },
  );
  const keyset = summarize(a);
  const baseline = summarize(b);
  log(
    `query page ${plan.name} (OFFSET ${plan.offset}, ${rows} rows): keyset p50 ${keyset.median.toFixed(2)} ms, OFFSET p50 ${baseline.median.toFixed(2)} ms (${a.length} samples each)`,
  );
  return {
    name: plan.name,
    direction: plan.position.direction,
    offset: plan.offset,
    rows,
    keyset,
    baseline,
    ratio: baseline.median / keyset.median,
    samplesMs: { keyset: a, baseline: b },
  };
}

/** Index names that are partitions of QUERY_INDEX (the parent's own name included). */
async function queryIndexNames(database: BenchDatabase): Promise<Set<string>> {
  const { rows } = await database.client.query<{ name: string }>(
    'SELECT relid::regclass::text AS name FROM pg_partition_tree($1::regclass)',
    [QUERY_INDEX],
  );
  return new Set(rows.map((row) => row.name));
}

/**
 * @param window epoch ms, inside the fill's days (queryWindow).
 * @example
 * const queries = await measureQueryPages(dbs, queryWindow(fillStart, 30), log);
 */
export async function measureQueryPages(
  dbs: Databases,
  window: { fromMs: number; toMs: number },
  log: (line: string) => void,
): Promise<QueryPageResult> {
  const database = dbs.partitioned;
  const query: EventQuery = {
    source: QUERY_SOURCE,
    type: null,
    fromUs: (BigInt(window.fromMs) * 1000n).toString(),
    toUs: (BigInt(window.toMs) * 1000n).toString(),
  };
  const { rows: counted } = await database.db.query<{ n: string }>(COUNT, filterValues(query));
  const windowRows = Number(counted[0]?.n ?? 0);
  if (windowRows < 2) throw new Error(`${QUERY_SOURCE} has ${windowRows} rows in the query window: nothing to page`);
  if (windowRows < 10 * PAGE_LIMIT)
    log(
      `query pages: only ${windowRows} rows of ${QUERY_SOURCE} in the window: the deep pages are shallow (use more --rows)`,
    );
  const plans = await casePlans(database.db, query, windowRows);
  const cases: PageCase[] = [];
  for (const plan of plans) cases.push(await measureCase(database, query, plan, log));
  const deep = plans.find((p) => p.name === 'after90') as CasePlan;
  const recorder = recording(database.db);
  await queryEvents(recorder.db, BENCH_TENANT, query, deep.position, PAGE_LIMIT);
  const sent = recorder.sent[0];
  if (!sent) throw new Error('queryEvents sent no statement');
  const plan = await explain(database, sent.text, sent.values);
  const baselinePlan = await explain(database, OFFSET_PAGE, [...filterValues(query), deep.offset, deep.take]);
  const names = await queryIndexNames(database);
  const usesQueryIndex = plan.indexes.length > 0 && plan.indexes.every((name) => names.has(name));
  if (!usesQueryIndex)
    log(
      `query pages: the deep keyset plan scans ${JSON.stringify(plan.indexes)}, not (only) ${QUERY_INDEX}'s partitions`,
    );
  return {
    tenant: BENCH_TENANT,
    source: QUERY_SOURCE,
    window: { from: new Date(window.fromMs).toISOString(), to: new Date(window.toMs).toISOString() },
    windowRows,
    limit: PAGE_LIMIT,
    rounds: cases[0]?.keyset.n ?? 0,
    warmup: WARMUP_ROUNDS,
    cases,
    plan,
    baselinePlan,
    usesQueryIndex,
  };
}
