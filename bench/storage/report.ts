/**
 * The storage benchmark's table: one line per measure, the unpartitioned schema beside the
 * partitioned one, and their ratio as partitioned / unpartitioned (above 1: the partitioned table
 * takes longer or more space). The upgrade's lines (row 4) are one run each: the table before the
 * migration under unpartitioned, after it under partitioned. Plans of the lookups follow the table,
 * trimmed.
 */
import Table from 'cli-table3';
import { formatValue } from '../table';
import type { BatchResult } from './batches';
import type { TableSize } from './databases';
import type { LookupResult } from './lookups';
import { trimPlan } from './lookups';
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
  /** Undefined with --no-upgrade. */
  upgrade: UpgradeResult | undefined;
}

type Line = [string, string, string, string, string];

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
      `status lookup by id (findStoredEvent), ${n(lookups.lookups)} random existing ids each, alternating: p50 (p90)`,
      latency(summary.unpartitioned),
      latency(summary.partitioned),
      ratio(summary.partitioned.median, summary.unpartitioned.median),
    ],
    [
      '3',
      `  per partition: (partitioned p50 - unpartitioned p50) / ${probed} partitions probed`,
      '-',
      `${(lookups.perPartitionMs * 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} µs`,
      '',
    ],
  ];
}

function upgradeLines(upgrade: UpgradeResult | undefined): Line[] {
  if (!upgrade) return [['4', 'upgrade: skipped (--no-upgrade)', '', '', '']];
  const { before, after, disk } = upgrade;
  const rate = `${n(Math.round(upgrade.rowsPerSecond))} rows/s`;
  const sampling = disk.complete ? '' : ', sampling stopped early: may be higher';
  return [
    [
      '4',
      `upgrade: applyMigrations (${upgrade.migrations.join(', ')}) on a fresh 001 table of ${n(upgrade.rows)} rows over ${upgrade.days} days; wall time (rows/s), one run, not a median`,
      '-',
      `${formatValue(upgrade.ms / 1000, 's')} (${rate})`,
      '',
    ],
    [
      '4',
      '  table + indexes before the migration / after it',
      mb(before.totalBytes),
      `${mb(after.events.totalBytes)} over ${after.events.relations} partitions`,
      ratio(after.events.totalBytes, before.totalBytes),
    ],
    ['4', '  per-minute rollups the migration builds, table + indexes', '-', mb(after.rollups.totalBytes), ''],
    [
      '4',
      `  peak extra disk during the migration: pg_database_size every ${disk.intervalMs} ms (${n(disk.samples.length)} samples${sampling}) above before; WAL not included (${mb(upgrade.walBytes)} written)`,
      '-',
      mb(disk.peakExtraBytes),
      '',
    ],
  ];
}

/**
 * @example
 * process.stdout.write(`${storageTable(report)}\n`);
 */
export function storageTable(report: StorageReport): string {
  const table = new Table({
    head: ['#', 'measure', 'unpartitioned (001)', 'partitioned (002)', 'partitioned / unpartitioned'],
    colWidths: [4, 56, 26, 26, 16],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  const lines = [
    ...batchLines('empty tables', report.empty),
    ...batchLines(`at ${n(report.filled.rows.unpartitioned)} rows`, report.filled),
    ...retentionLines(report.retention),
    ...lookupLines(report.lookups),
    ...upgradeLines(report.upgrade),
  ];
  for (const line of lines) table.push(line);
  return table.toString();
}

/**
 * The two lookup plans, trimmed, each under a heading.
 *
 * @example
 * process.stdout.write(plansText(report.lookups));
 */
export function plansText(lookups: LookupResult): string {
  const out: string[] = [];
  for (const name of ['unpartitioned', 'partitioned'] as const) {
    const plan = lookups.plans[name];
    out.push(`EXPLAIN (ANALYZE, BUFFERS) of one lookup, ${name} (${plan.relationsScanned} relations read):`);
    out.push(...trimPlan(plan.lines).map((line) => `  ${line}`));
    out.push('');
  }
  return `${out.join('\n')}`;
}
