/** The benchmark table for a terminal (cli-table3) and as markdown for the README. */
import Table from 'cli-table3';
import type { RowResult, Unit } from './result';

export const COLUMNS = ['row', 'measure', 'median', 'p95', 'baseline median', 'ratio', 'target', 'met?'] as const;

function digits(value: number): string {
  const abs = Math.abs(value);
  const fixed = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: fixed, maximumFractionDigits: fixed });
}

/**
 * A number with its unit, rounded for reading: `42.3 ms`, `9.12 s`, `11,204 records/s`.
 *
 * @example
 * formatValue(9123.4, 'ms'); // '9,123 ms'
 */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '';
  return `${digits(value)} ${unit}`;
}

function met(row: RowResult): string {
  if (row.met === undefined) return '-';
  return row.met ? 'yes' : 'NO';
}

/**
 * The cells of one row, in `COLUMNS` order.
 *
 * @example
 * cells(row); // ['2', 'ingest: ...', '38.1 ms', '53.2 ms', '460 ms', '12.1x', '>= 20x', 'NO']
 */
export function cells(row: RowResult): string[] {
  return [
    row.row,
    row.measure,
    row.display?.median ?? formatValue(row.median, row.unit),
    row.display?.p95 ?? formatValue(row.p95, row.unit),
    row.display?.baseline ?? formatValue(row.baselineMedian, row.unit),
    row.display?.ratio ?? (row.ratio === undefined || Number.isNaN(row.ratio) ? '' : `${digits(row.ratio)}x`),
    row.target,
    met(row),
  ];
}

/**
 * @example
 * process.stdout.write(`${terminalTable(rows)}\n`);
 */
export function terminalTable(rows: readonly RowResult[]): string {
  const table = new Table({
    head: [...COLUMNS],
    colWidths: [5, 46, 15, 12, 16, 10, 20, 6],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const row of rows) table.push(cells(row));
  return table.toString();
}

/**
 * The same table as GitHub markdown (for README "Performance").
 *
 * @example
 * await writeFile('bench/results.md', markdownTable(rows));
 */
export function markdownTable(rows: readonly RowResult[]): string {
  const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_c, i) => (i >= 2 && i <= 5 ? '---:' : '---')).join('|')}|`,
  ];
  for (const row of rows) lines.push(`| ${cells(row).map(escapeCell).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
