/**
 * `npm run bench:storage -- [--rows N] [--batches B] [--partitions P] [--no-upgrade]`: what the time partitions
 * (migrations/002) and tenants (migrations/003) cost and save against the unpartitioned table
 * (migrations/001), both schemas on one local Postgres, side by side in the same run. Every row the
 * benchmark writes to the partitioned schema is tenant `bench`'s (the old one has no tenant):
 *
 * 1. the consumer's batch write, at empty tables and at `--rows` rows, alternating batch by batch;
 * 2. retention of a day: DROP of its partition against DELETE (and VACUUM) of its rows;
 * 3. the status lookup: `findStoredEvent(db, 'bench', id)` (the event by tenant and id, which probes
 *    every partition, then its previous and next) against the lookup by id on the old table;
 * 4. the upgrade: migrations 002 and 003, one at a time, on a fresh 001 table of `--rows` rows, the
 *    time of each and the disk each needs meanwhile (one run, after the comparison, in a database of
 *    its own; `--no-upgrade` skips it);
 * 5. the query API's page of 100 (`queryEvents`) on the partitioned table at `--rows` rows: one
 *    source over 24 hours inside the fill's days, the first page, pages after positions 50% and 90%
 *    into the window and the page before the 90% one, against the OFFSET pagination of the same
 *    rows, alternating sample by sample (p50, p95, OFFSET / keyset); the deep page's plan shows the
 *    index it reads.
 *
 * Progress on stderr, the table and the plans (lookups, deep keyset page) on stdout, everything
 * (samples included) in `bench/results-storage.json`. Timings never fail the run; a broken check
 * (rows lost, a row in the default partition, tables holding different rows, a keyset page that is
 * not the OFFSET page) does, with exit code 1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServicesChild } from '../local/src/servicesChild';
import { describeMachine, machineLine } from './machine';
import { BATCHES_PER_ROUND, measureBatches, WARMUP_ROUNDS } from './storage/batches';
import { type Databases, dropDatabases, openDatabases, rowCount, tableSize } from './storage/databases';
import { fillTables } from './storage/fill';
import { measureLookups } from './storage/lookups';
import { parseStorageArgs, StorageUsageError } from './storage/options';
import { plansText, type SizedBatches, type StorageReport, storageTable } from './storage/report';
import { measureQueryPages, queryWindow } from './storage/queries';
import { measureRetention } from './storage/retention';
import { BATCH_ROWS, DAY_MS } from './storage/rows';
import { measureUpgrade } from './storage/upgrade';

const ROOT = path.resolve(__dirname, '..');
const OUT_FILE = path.join(ROOT, 'bench', 'results-storage.json');

function log(line: string): void {
  process.stderr.write(`[storage ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function sized(dbs: Databases, batches: SizedBatches['batches']): Promise<SizedBatches> {
  const rows = {
    unpartitioned: await rowCount(dbs.unpartitioned.client, 'telemetry_events'),
    partitioned: await rowCount(dbs.partitioned.client, 'telemetry_events'),
  };
  // Sizes and lookups compare like with like only while both tables hold the same rows.
  if (rows.unpartitioned !== rows.partitioned)
    throw new Error(`the tables hold ${rows.unpartitioned} and ${rows.partitioned} rows: expected the same`);
  return {
    batches,
    rows,
    sizes: {
      unpartitioned: await tableSize(dbs.unpartitioned.client, 'telemetry_events'),
      partitioned: await tableSize(dbs.partitioned.client, 'telemetry_events'),
      rollups: await tableSize(dbs.partitioned.client, 'telemetry_rollup_minute'),
    },
  };
}

/** Telemetry in the default partition means a day without its partition: the comparison would be off. */
async function checkDefaultPartition(dbs: Databases): Promise<void> {
  const stray = await rowCount(dbs.partitioned.client, 'telemetry_events_default');
  if (stray > 0) throw new Error(`${stray} rows landed in telemetry_events_default`);
}

async function main(): Promise<void> {
  const options = parseStorageArgs(process.argv.slice(2));
  // The empty-table batches count towards --rows; the fill brings each table up to it.
  const batchRows = (options.batches + WARMUP_ROUNDS) * BATCHES_PER_ROUND * BATCH_ROWS;
  if (options.rows < batchRows + options.partitions * 100)
    throw new StorageUsageError(`--rows must be at least ${batchRows + options.partitions * 100} for these --batches`);
  const machine = describeMachine();
  const started = Date.now();
  const now = new Date(started);
  // The fill covers the --partitions whole UTC days before today; the batches' rows fall in the
  // last few days up to now (partitions the maintenance made, or the fill's).
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const fillStart = today - options.partitions * DAY_MS;
  log(`--rows ${options.rows} --batches ${options.batches} --partitions ${options.partitions}`);
  log('starting Postgres (child process, 127.0.0.1)');
  const services = await startServicesChild();
  let report: StorageReport;
  let fill: Awaited<ReturnType<typeof fillTables>>;
  try {
    const dbs = await openDatabases(services.databaseUrl, now, fillStart, options.partitions, log);
    try {
      const empty = await sized(dbs, await measureBatches(dbs, options.batches, 'empty tables', log));
      const fillRows = options.rows - empty.rows.unpartitioned;
      log(`filling both tables with ${fillRows.toLocaleString('en-US')} rows over ${options.partitions} days`);
      fill = await fillTables(dbs, { rows: fillRows, start: fillStart, spanMs: options.partitions * DAY_MS }, log);
      await checkDefaultPartition(dbs);
      const filled = await sized(dbs, await measureBatches(dbs, options.batches, 'filled tables', log));
      await checkDefaultPartition(dbs);
      const lookups = await measureLookups(dbs, log);
      // Before retention, which drops the fill's oldest days (the window is in the middle ones anyway).
      const queries = await measureQueryPages(dbs, queryWindow(fillStart, options.partitions), log);
      const retention = await measureRetention(dbs, fillStart, options.partitions, now, log);
      report = { empty, filled, retention, lookups, queries, upgrade: undefined };
    } finally {
      await dbs.close();
    }
    if (options.upgrade) {
      // Last, so that its copy (and the checkpoints and autovacuum it brings) disturbs no other row.
      await dropDatabases(services.databaseUrl);
      const plan = { rows: options.rows, start: fillStart, spanMs: options.partitions * DAY_MS };
      report.upgrade = await measureUpgrade(services.databaseUrl, plan, log);
    }
  } finally {
    await services.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const footer = `${machineLine(machine)}; --rows ${options.rows} --batches ${options.batches} --partitions ${options.partitions}${options.upgrade ? '' : ' --no-upgrade'}; ${seconds.toFixed(0)} s`;
  process.stdout.write(`${storageTable(report)}\n${footer}\n\n${plansText(report.lookups, report.queries)}`);
  await mkdir(path.dirname(OUT_FILE), { recursive: true });
  const json = { startedAt: now.toISOString(), seconds, machine, options, fill, ...report };
  await writeFile(OUT_FILE, `${JSON.stringify(json, null, 2)}\n`);
  log(`done in ${seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), OUT_FILE)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StorageUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `storage bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
