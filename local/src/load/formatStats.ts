/** How a load run reads on a terminal: a one-line progress report and a final table. */
import Table from 'cli-table3';
import type { LoadStats } from './stats';

function byStatus(stats: LoadStats): string {
  const entries = Object.entries(stats.byStatus).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([status, count]) => `${status}: ${count}`).join(', ') : '-';
}

/**
 * @example
 * process.stderr.write(`\r${progressLine(stats)}`);
 * // 'sent 4,200/10,000 events in 42 requests | accepted 4,116 | rejected 84 | 202: 42 | p99 38 ms | 1,998 events/s'
 */
export function progressLine(stats: LoadStats): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  return [
    `sent ${n(stats.eventsSent)}/${n(stats.plannedEvents)} events in ${n(stats.requests)} requests`,
    `accepted ${n(stats.accepted)}`,
    `rejected ${n(stats.rejected)}`,
    ...(stats.poisonPut ? [`poison ${n(stats.poisonPut)}`] : []),
    byStatus(stats),
    `p99 ${stats.latencyMs.p99} ms`,
    `${n(stats.achievedRate)} events/s`,
  ].join(' | ');
}

/**
 * @example
 * console.log(formatStats(stats, process.stdout.isTTY));
 */
export function formatStats(stats: LoadStats, color = false): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  // Escape codes would litter a file or a CI log.
  const table = new Table({ head: ['load run', ''], ...(color ? {} : { style: { head: [], border: [] } }) });
  table.push(
    ['requests', n(stats.requests)],
    ['events sent', `${n(stats.eventsSent)} of ${n(stats.plannedEvents)} planned`],
    ['  of which malformed', n(stats.malformedSent)],
    ['accepted (202)', n(stats.accepted)],
    ['rejected per item', n(stats.rejected)],
    ['not accepted (503)', n(stats.notAccepted)],
    ['unanswered (fate unknown)', n(stats.unanswered)],
    ...(stats.poisonPut || stats.poisonFailed
      ? [
          [
            'poison put on the stream',
            `${n(stats.poisonPut)}${stats.poisonFailed ? ` (${n(stats.poisonFailed)} failed)` : ''}`,
          ],
        ]
      : []),
    ['answers by status', byStatus(stats)],
    ['latency p50 / p99 / max', `${stats.latencyMs.p50} / ${stats.latencyMs.p99} / ${stats.latencyMs.max} ms`],
    ['achieved rate', `${n(stats.achievedRate)} events/s (target ${n(stats.targetRate)})`],
    ['elapsed', `${(stats.elapsedMs / 1000).toFixed(1)} s`],
    ['stopped because', stats.stoppedBecause],
  );
  const errors = stats.errors.map((error) => `  - ${error}`);
  return [table.toString(), ...errors].join('\n');
}
