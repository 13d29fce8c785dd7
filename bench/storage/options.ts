/**
 * `npm run bench:storage -- [--rows N] [--batches B] [--partitions P] [--no-upgrade]`: how big the
 * filled tables are, how many batches per size, over how many daily partitions the fill spreads, and
 * whether to time the upgrade (migrations 002 and 003 on a 001 table of as many rows) after the comparison.
 */

export interface StorageOptions {
  /** Rows in each table once filled (the batches' rows count towards it). */
  rows: number;
  /** Measured consumer batches per schema, per size. */
  batches: number;
  /** Days (daily partitions) the fill's rows are spread over, ending yesterday (UTC). */
  partitions: number;
  /** Row 4, the upgrade: a third fill of `rows` and the migrations, about as long again as the fill. */
  upgrade: boolean;
}

export class StorageUsageError extends Error {
  override readonly name = 'StorageUsageError';
}

const USAGE = 'usage: npx tsx bench/storage.ts [--rows 2000000] [--batches 40] [--partitions 30] [--no-upgrade]';

// Upper bounds keep a typo from starting a run that fills the disk or lasts a day; 300 partitions
// stay inside the 365-day retention the maintenance runs with (it would drop older ones), and
// inside the year back for which migration 002 makes partitions on upgrade.
const LIMITS = { rows: [10_000, 100_000_000], batches: [1, 1_000], partitions: [1, 300] } as const;

function wholeNumber(value: string | undefined, flag: keyof typeof LIMITS): number {
  const [min, max] = LIMITS[flag];
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new StorageUsageError(`--${flag} needs a whole number from ${min} to ${max}\n${USAGE}`);
  return n;
}

/**
 * @example
 * parseStorageArgs(['--rows', '100000', '--batches', '10']); // { rows: 100000, batches: 10, partitions: 30, upgrade: true }
 */
export function parseStorageArgs(argv: readonly string[]): StorageOptions {
  const options: StorageOptions = { rows: 2_000_000, batches: 40, partitions: 30, upgrade: true };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--rows') options.rows = wholeNumber(argv[(i += 1)], 'rows');
    else if (arg === '--batches') options.batches = wholeNumber(argv[(i += 1)], 'batches');
    else if (arg === '--partitions') options.partitions = wholeNumber(argv[(i += 1)], 'partitions');
    else if (arg === '--no-upgrade') options.upgrade = false;
    else if (arg === '--help' || arg === '-h') throw new StorageUsageError(USAGE);
    else throw new StorageUsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}
