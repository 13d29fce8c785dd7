/**
 * The storage benchmark's table: one line per measure, the unpartitioned schema beside the
 * partitioned one, and their ratio as partitioned / unpartitioned (above 1: the partitioned table
 * takes longer or more space). The upgrade's lines (row 4) are one run each: the table before the
 * migrations under unpartitioned, after them under partitioned. Row 5 compares two reads of the
 * partitioned table, a line spanning the table says so: the OFFSET baseline in the first column,
 * the query API's keyset page in the second, their ratio as baseline / keyset (above 1: the keyset
 * page is faster). Plans of the lookups and of the deep keyset page follow the table, trimmed.
 */
import Table from 'cli-table3';
import { formatValue } from '../table';
import type { BatchResult } from './batches';
import type { TableSize } from './databases';
import type { LookupPlan, LookupResult } from './lookups';
import { trimPlan } from './lookups';
import type { PageCase, PageCaseName, QueryPageResult } from './queries';
import type { RetentionResult } from './retention';
import type { UpgradeResult } from './upgrade';

export interface SizedBatches {
  batches: BatchResult;
  rows: { unpartitioned: number; partitioned: number };
  sizes: { unpartitioned: TableSize; partitioned: TableSize; rollups: TableSize };
}

export interface StorageReport {
  empty: SizedBatches;
  filled: SizedBatches;
  retention: RetentionResult | undefined;
  lookups: LookupResult;
  queries: QueryPageResult;
  /** Undefined with --no-upgrade. */
  upgrade: UpgradeResult | undefined;
}

/** A measure's five cells, or a note spanning the table. */
type Line = [string, string, string, string, string] | [{ colSpan: 5; content: string }];

const n = (value: number): string => value.toLocaleString('en-US');

function ratio(partitioned: number, unpartitioned: number): string {
  if (!(unpartitioned > 0) || Number.isNaN(partitioned)) return '';
  const r = partitioned / unpartitioned;
  return `${r.toLocaleString('en-US', { maximumFractionDigits: r < 0.1 ? 4 : 2 })}x`;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: bytes < 10 * 2 ** 20 ? 2 : 0 })} MB`;
}

function latency(summary: { median: number; p90: number }): string {
  return `${formatValue(summary.median, 'ms')} (p90 ${formatValue(summary.p90, 'ms')})`;
}

function latency95(summary: { median: number; p95: number }): string {
  return `${formatValue(summary.median, 'ms')} (p95 ${formatValue(summary.p95, 'ms')})`;
}

function batchLines(label: string, sized: SizedBatches): Line[] {
  const { summary, rounds } = sized.batches;
  const { sizes, rows } = sized;
  return [
    [
      '1',
      `consumer batch of 1,000 rows, ${label}: median (p90) of ${rounds} batches; unpartitioned: the statement as before 002 (no rollups), partitioned: writeEvents`,
      latency(summary.unpartitioned),
      latency(summary.partitioned),
      ratio(summary.partitioned.median, summary.unpartitioned.median),
    ],
    [
      '1',
      `  of which partitioning alone: the partitioned statement without its rollup CTE`,
      latency(summary.unpartitioned),
      latency(summary.partitionedNoRollup),
      ratio(summary.partitionedNoRollup.median, summary.unpartitioned.median),
    ],
    [
      '1',
      `  table + indexes then (${n(rows.unpartitioned)} rows each)`,
      mb(sizes.unpartitioned.totalBytes),
      `${mb(sizes.partitioned.totalBytes)} over ${sizes.partitioned.relations} partitions`,
      ratio(sizes.partitioned.totalBytes, sizes.unpartitioned.totalBytes),
    ],
    ['1', '  per-minute rollups (002 only), table + indexes', '-', mb(sizes.rollups.totalBytes), ''],
  ];
}

function retentionLines(retention: RetentionResult | undefined): Line[] {
  if (!retention) return [['2', 'retention: skipped (no fill day older than the batches)', '', '', '']];
  const days = retention.days.length;
  const rows = Math.round(retention.days.reduce((sum, d) => sum + d.rows, 0) / days);
  const { medianMs, before, after } = retention;
  return [
    [
      '2',
      `retention of one day (~${n(rows)} rows), median of ${days} days: DELETE of its rows vs DROP of its partition (telemetry_drop_partition)`,
      formatValue(medianMs.delete, 'ms'),
      formatValue(medianMs.drop, 'ms'),
      ratio(medianMs.drop, medianMs.delete),
    ],
    ['2', '  plain VACUUM after each DELETE (median)', formatValue(medianMs.vacuum, 'ms'), '-', ''],
    [
      '2',
      `  table + indexes before retention`,
      mb(before.unpartitioned.totalBytes),
      mb(before.partitioned.totalBytes),
      ratio(before.partitioned.totalBytes, before.unpartitioned.totalBytes),
    ],
    [
      '2',
      `  table + indexes after ${days} days' retention (unpartitioned: after the DELETEs / after VACUUM: kept by the table, not returned to the OS)`,
      `${mb(after.unpartitionedAfterDelete.totalBytes)} / ${mb(after.unpartitionedAfterVacuum.totalBytes)}`,
      mb(after.partitioned.totalBytes),
      ratio(after.partitioned.totalBytes, after.unpartitionedAfterVacuum.totalBytes),
    ],
  ];
}

function lookupLines(lookups: LookupResult): Line[] {
  const { summary, plans } = lookups;
  const probed = plans.partitioned.relationsScanned;
  return [
    [
      '3',
      `status lookup (findStoredEvent), ${n(lookups.lookups)} random existing ids each, alternating: p50 (p90); unpartitioned: by id alone, partitioned: by (tenant, id), then the previous and next event`,
      latency(summary.unpartitioned),
      latency(summary.partitioned),
      ratio(summary.partitioned.median, summary.unpartitioned.median),
    ],
    [
      '3',
      '  of which the by-id statement (partitioned: tenant = $1 AND event_id = $2)',
      latency(summary.unpartitioned),
      latency(summary.partitionedById),
      ratio(summary.partitionedById.median, summary.unpartitioned.median),
    ],
    [
      '3',
      '  and the previous/next statement (the (tenant, source, event_time, event_id) index, a week each way)',
      '-',
      latency(summary.partitionedNeighbors),
      '',
    ],
    [
      '3',
      `  per partition: (partitioned by-id p50 - unpartitioned p50) / ${probed} partitions probed`,
      '-',
      `${(lookups.perPartitionMs * 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} µs`,
      '',
    ],
  ];
}

function upgradeLines(upgrade: UpgradeResult | undefined): Line[] {
  if (!upgrade) return [['4', 'upgrade: skipped (--no-upgrade)', '', '', '']];
  const { before, after } = upgrade;
  const lines: Line[] = [
    [
      '4',
      `upgrade: ${upgrade.migrations.join(', ')} on a fresh 001 table of ${n(upgrade.rows)} rows over ${upgrade.days} days, one applyMigrations each, in turn; wall time in all, one run, not a median`,
      '-',
      formatValue(upgrade.ms / 1000, 's'),
      '',
    ],
  ];
  for (const step of upgrade.steps) {
    const { disk } = step;
    const sampling = disk.complete ? '' : ', sampling stopped early: may be higher';
    lines.push(
      [
        '4',
        `  ${step.migration}: wall time (rows/s), after VACUUM (ANALYZE) and CHECKPOINT, untimed`,
        '-',
        `${formatValue(step.ms / 1000, 's')} (${n(Math.round(step.rowsPerSecond))} rows/s)`,
        '',
      ],
      [
        '4',
        `  ${step.migration}: peak extra disk, pg_database_size every ${disk.intervalMs} ms (${n(disk.samples.length)} samples${sampling}) above before it; WAL not included (${mb(step.walBytes)} written)`,
        '-',
        mb(disk.peakExtraBytes),
        '',
      ],
    );
  }
  lines.push([
    '4',
    '  table + indexes before the migrations / after them',
    mb(before.totalBytes),
    `${mb(after.events.totalBytes)} over ${after.events.relations} partitions`,
    ratio(after.events.totalBytes, before.totalBytes),
  ]);
  if (after.rollups)
    lines.push([
      '4',
      '  per-minute rollups the migrations build, table + indexes',
      '-',
      mb(after.rollups.totalBytes),
      '',
    ]);
  return lines;
}

const PAGE_CASES: Record<PageCaseName, string> = {
  first: 'the first page (after windowStart)',
  after50: 'the page after the row at 50% of the window',
  after90: 'the page after the row at 90% of the window',
  before90: "going back: the page before the row at 90% ('before')",
};

function pageLine(page: PageCase): Line {
  return [
    '5',
    `  ${PAGE_CASES[page.name]}: OFFSET ${n(page.offset)}, ${page.rows} rows`,
    latency95(page.baseline),
    latency95(page.keyset),
    ratio(page.baseline.median, page.keyset.median),
  ];
}

function queryLines(queries: QueryPageResult): Line[] {
  const index = queries.usesQueryIndex
    ? 'the deep page reads the (tenant, source, event_time, event_id) index'
    : `NOTE: the deep page's plan does not read (only) the (tenant, source, event_time, event_id) index: ${queries.plan.indexes.join(', ') || 'no index'}`;
  return [
    [
      {
        colSpan: 5,
        content:
          'Row 5 compares two reads of the partitioned table: columns OFFSET baseline | query API keyset page (queryEvents) | baseline / keyset',
      },
    ],
    [
      '5',
      `query API page of ${queries.limit} (limit + 1 rows read), ${queries.source} of tenant ${queries.tenant}, 24 h from ${queries.window.from} (${n(queries.windowRows)} of its rows); p50 (p95) of ${queries.rounds}, alternating; ${index}`,
      'OFFSET ... LIMIT',
      'keyset',
      'baseline / keyset',
    ],
    ...queries.cases.map(pageLine),
  ];
}

const MEASURE_WIDTH = 56;

/**
 * The measure wrapped at word boundaries to its column (less the cell's padding), its indent kept:
 * cli-table3's own wrapping does not count a leading indent and cuts the first line short with "…".
 *
 * @example
 * wrapMeasure('  of which ...'); // '  of which ...\n...'
 */
export function wrapMeasure(text: string, width: number = MEASURE_WIDTH - 2): string {
  const indent = /^ */.exec(text)?.[0] ?? '';
  const out: string[] = [];
  let line = indent;
  for (const word of text.slice(indent.length).split(/ +/)) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
  }
  out.push(line);
  return out.join('\n');
}

/**
 * @example
 * process.stdout.write(`${storageTable(report)}\n`);
 */
export function storageTable(report: StorageReport): string {
  const table = new Table({
    head: ['#', 'measure', 'unpartitioned (001)', 'partitioned (all migrations)', 'partitioned / unpartitioned'],
    colWidths: [4, MEASURE_WIDTH, 26, 26, 16],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  const lines = [
    ...batchLines('empty tables', report.empty),
    ...batchLines(`at ${n(report.filled.rows.unpartitioned)} rows`, report.filled),
    ...retentionLines(report.retention),
    ...lookupLines(report.lookups),
    ...upgradeLines(report.upgrade),
    ...queryLines(report.queries),
  ];
  for (const line of lines) table.push(line.length === 5 ? [line[0], wrapMeasure(line[1]), ...line.slice(2)] : line);
  return table.toString();
}

function planText(heading: string, plan: LookupPlan): string[] {
  return [heading, ...trimPlan(plan.lines).map((line) => `  ${line}`), ''];
}

/**
 * The lookups' plans and the deep keyset page's, trimmed, each under a heading.
 *
 * @example
 * process.stdout.write(plansText(report.lookups, report.queries));
 */
export function plansText(lookups: LookupResult, queries: QueryPageResult): string {
  const out: string[] = [];
  for (const name of ['unpartitioned', 'partitioned'] as const) {
    const plan = lookups.plans[name];
    out.push(
      ...planText(
        `EXPLAIN (ANALYZE, BUFFERS) of one lookup by id, ${name} (${plan.relationsScanned} relations read):`,
        plan,
      ),
    );
  }
  const neighbors = lookups.neighborsPlan;
  out.push(
    ...planText(
      `EXPLAIN (ANALYZE, BUFFERS) of the same lookup's previous/next statement, partitioned (${neighbors.relationsScanned} relations read):`,
      neighbors,
    ),
  );
  const deep = queries.cases.find((page) => page.name === 'after90');
  const index = queries.usesQueryIndex ? 'yes' : 'NO';
  out.push(
    ...planText(
      `EXPLAIN (ANALYZE, BUFFERS) of the deep keyset page (after the row at 90%, OFFSET ${n(deep?.offset ?? 0)} for the baseline), partitioned (${queries.plan.relationsScanned} relations read; indexes: ${queries.plan.indexes.join(', ') || 'none'}; all of them (tenant, source, event_time, event_id): ${index}):`,
      queries.plan,
    ),
  );
  return out.join('\n');
}
