/**
 * Part 2: retention of one day, each way. Partitioned: the maintenance function's step for an expired
 * partition (`telemetry_drop_partition`, a DROP TABLE). Unpartitioned: DELETE of that day's rows, then
 * the plain VACUUM that makes their space reusable, which gives none of it back to the operating
 * system (only VACUUM FULL, rewriting the table under an exclusive lock, would). The oldest days of
 * the fill, which only the fill wrote (the same rows in both tables), a few in turn for a median.
 */
import { summarize, timed } from '../stats';
import { type Databases, type TableSize, tableSize } from './databases';
import { DAY_MS } from './rows';

const MAX_DAYS = 3;

export interface RetentionDay {
  day: string;
  partition: string;
  rows: number;
  dropMs: number;
  deleteMs: number;
  vacuumMs: number;
}

export interface RetentionResult {
  days: RetentionDay[];
  medianMs: { drop: number; delete: number; vacuum: number };
  before: { unpartitioned: TableSize; partitioned: TableSize };
  after: { partitioned: TableSize; unpartitionedAfterDelete: TableSize; unpartitionedAfterVacuum: TableSize };
}

/**
 * @param fillStart epoch ms of the fill's first UTC day; `fillDays` days from there hold fill rows.
 * @example
 * const retention = await measureRetention(dbs, fillStart, 30, now, log);
 */
export async function measureRetention(
  dbs: Databases,
  fillStart: number,
  fillDays: number,
  now: Date,
  log: (line: string) => void,
): Promise<RetentionResult | undefined> {
  // Days the consumer batches wrote to hold rows the two tables do not share (batches.ts).
  const lastDay = Math.min(fillDays, Math.floor((now.getTime() - DAY_MS - fillStart) / DAY_MS));
  const count = Math.min(MAX_DAYS, lastDay);
  if (count <= 0) {
    log('retention: no day older than the consumer batches reach; skipped (use more --partitions)');
    return undefined;
  }
  const part = dbs.partitioned;
  const flat = dbs.unpartitioned;
  const before = {
    unpartitioned: await tableSize(flat.client, 'telemetry_events'),
    partitioned: await tableSize(part.client, 'telemetry_events'),
  };
  let afterDelete = before.unpartitioned;
  const days: RetentionDay[] = [];
  for (let d = 0; d < count; d += 1) {
    const start = new Date(fillStart + d * DAY_MS);
    const end = new Date(fillStart + (d + 1) * DAY_MS);
    const { rows } = await part.client.query<{ name: string }>(
      "SELECT name FROM telemetry_partitions('telemetry_events') WHERE range_start = $1",
      [start],
    );
    const partition = rows[0]?.name;
    if (!partition) throw new Error(`no partition for ${start.toISOString()}`);
    const { rows: counted } = await part.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${part.client.escapeIdentifier(partition)}`,
    );
    const partitionRows = Number(counted[0]?.n ?? 0);
    const drop = async (): Promise<number> =>
      timed(async () => {
        const { rows: dropped } = await part.client.query<{ dropped: boolean }>(
          "SELECT telemetry_drop_partition('telemetry_events', $1) AS dropped",
          [partition],
        );
        if (!dropped[0]?.dropped) throw new Error(`${partition} was not dropped`);
      });
    let deleted = 0;
    const remove = async (): Promise<number> =>
      timed(async () => {
        const result = await flat.client.query(
          'DELETE FROM telemetry_events WHERE event_time >= $1 AND event_time < $2',
          [start, end],
        );
        deleted = result.rowCount ?? 0;
      });
    // Which goes first flips every day.
    let dropMs: number;
    let deleteMs: number;
    if (d % 2 === 0) {
      dropMs = await drop();
      deleteMs = await remove();
    } else {
      deleteMs = await remove();
      dropMs = await drop();
    }
    if (deleted !== partitionRows)
      throw new Error(`${start.toISOString()}: DELETE removed ${deleted} rows, the partition held ${partitionRows}`);
    afterDelete = await tableSize(flat.client, 'telemetry_events');
    const vacuumMs = await timed(() => flat.client.query('VACUUM telemetry_events'));
    const day = start.toISOString().slice(0, 10);
    days.push({ day, partition, rows: deleted, dropMs, deleteMs, vacuumMs });
    log(
      `retention ${day} (${deleted.toLocaleString('en-US')} rows): DROP ${dropMs.toFixed(1)} ms, DELETE ${deleteMs.toFixed(0)} ms + VACUUM ${vacuumMs.toFixed(0)} ms`,
    );
  }
  return {
    days,
    medianMs: {
      drop: summarize(days.map((d) => d.dropMs)).median,
      delete: summarize(days.map((d) => d.deleteMs)).median,
      vacuum: summarize(days.map((d) => d.vacuumMs)).median,
    },
    before,
    after: {
      partitioned: await tableSize(part.client, 'telemetry_events'),
      unpartitionedAfterDelete: afterDelete,
      unpartitionedAfterVacuum: await tableSize(flat.client, 'telemetry_events'),
    },
  };
}
