/**
 * `npm run bench -- [--quick] [--only 1,3,5] [--out path]`: which rows, at what size. The full run
 * is the sizes (about 5 minutes here); `--quick` shrinks every row to finish in under a
 * minute, and the table says which sizes ran.
 */

export type RowId = '1' | '2' | '3' | '4' | '5';
export const ROW_IDS: readonly RowId[] = ['1', '2', '3', '4', '5'];

export interface BenchOptions {
  quick: boolean;
  rows: ReadonlySet<RowId>;
  outFile: string;
  consumer: { rounds: number; warmup: number; timeLimitMs: number };
  ingest: { rounds: number; warmup: number; timeLimitMs: number };
  throughput: { records: number; sampleRecords: number; rounds: number; timeLimitMs: number };
  endToEnd: { eventsPerSecond: number; durationSeconds: number; batchSize: number };
  coldStart: { rounds: number };
}

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

const USAGE =
  'usage: npm run bench -- [--quick] [--only 1,2,3,4,5] [--out bench/results.json] [--rate N] [--duration S]';

function positiveInteger(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BenchUsageError(`${flag} needs a whole number > 0\n${USAGE}`);
  return n;
}

/**
 * @example
 * const options = parseBenchArgs(process.argv.slice(2)); // { quick: false, rows: Set {'1',...}, ... }
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let only: string | undefined;
  let outFile: string | undefined;
  let rate: number | undefined;
  let duration: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only') only = argv[(i += 1)];
    else if (arg === '--out') outFile = argv[(i += 1)];
    else if (arg === '--rate') rate = positiveInteger(argv[(i += 1)], '--rate');
    else if (arg === '--duration') duration = positiveInteger(argv[(i += 1)], '--duration');
    else if (arg === '--help' || arg === '-h') throw new BenchUsageError(USAGE);
    else throw new BenchUsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  const rows = new Set<RowId>();
  for (const id of (only ?? ROW_IDS.join(',')).split(',').map((s) => s.trim())) {
    if (!(ROW_IDS as readonly string[]).includes(id))
      throw new BenchUsageError(`--only takes row numbers 1-5, got ${JSON.stringify(id)}\n${USAGE}`);
    rows.add(id as RowId);
  }
  return {
    quick,
    rows,
    outFile: outFile ?? (quick ? 'bench/results-quick.json' : 'bench/results.json'),
    // Time limits keep a slow machine's run bounded; at least one measured round always runs.
    consumer: quick ? { rounds: 10, warmup: 2, timeLimitMs: 10_000 } : { rounds: 30, warmup: 3, timeLimitMs: 60_000 },
    ingest: quick ? { rounds: 4, warmup: 1, timeLimitMs: 10_000 } : { rounds: 15, warmup: 2, timeLimitMs: 60_000 },
    throughput: quick
      ? { records: 10_000, sampleRecords: 500, rounds: 2, timeLimitMs: 15_000 }
      : { records: 100_000, sampleRecords: 3_000, rounds: 3, timeLimitMs: 90_000 },
    endToEnd: {
      eventsPerSecond: rate ?? (quick ? 1_000 : 2_000),
      durationSeconds: duration ?? (quick ? 10 : 30),
      batchSize: 100,
    },
    coldStart: { rounds: quick ? 2 : 10 },
  };
}
