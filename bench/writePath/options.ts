/**
 * `npm run bench:write -- [--records N] [--quick] [--only 1,2] [--rounds N] [--replay-keys N] [--out path]`:
 * the write-path benchmark's sizes. `--records` is row 1's size (row 2 replays twice as many);
 * `--quick` divides everything by ten, for a smoke run under a minute.
 */

export class WriteBenchUsageError extends Error {
  override readonly name = 'WriteBenchUsageError';
}

export interface WriteBenchOptions {
  quick: boolean;
  rows: ReadonlySet<'1' | '2'>;
  outFile: string;
  latency: {
    /** Records per relay and replay run. */
    records: number;
    /** Rounds per comparison (alternating sides, see bench/alternate.ts). */
    rounds: number;
    /** Stop starting rounds of one comparison after this long (at least one runs). */
    timeLimitMs: number;
  };
  shards: {
    /** Records the replay puts back. */
    replayRecords: number;
    /** Distinct partition keys of the replayed records. */
    replayKeys: number;
    /** The live load alone before the replay starts, for its baseline latency. */
    aloneMs: number;
    /** The run (live + replay) is stopped after this long, whatever happens. */
    boundMs: number;
  };
}

const USAGE =
  'usage: npm run bench:write -- [--records N] [--quick] [--only 1,2] [--rounds N] [--replay-keys N] [--out bench/results-write.json]';

function positiveInteger(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WriteBenchUsageError(`${flag} needs a whole number > 0\n${USAGE}`);
  return n;
}

/**
 * @example
 * parseWriteBenchArgs(['--quick']).latency.records; // 10_000
 */
export function parseWriteBenchArgs(argv: readonly string[]): WriteBenchOptions {
  let quick = false;
  let records: number | undefined;
  let rounds: number | undefined;
  let replayKeys: number | undefined;
  let only: string | undefined;
  let outFile: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--records') records = positiveInteger(argv[(i += 1)], '--records');
    else if (arg === '--rounds') rounds = positiveInteger(argv[(i += 1)], '--rounds');
    else if (arg === '--replay-keys') replayKeys = positiveInteger(argv[(i += 1)], '--replay-keys');
    else if (arg === '--only') only = argv[(i += 1)];
    else if (arg === '--out') outFile = argv[(i += 1)];
    else if (arg === '--help' || arg === '-h') throw new WriteBenchUsageError(USAGE);
    else throw new WriteBenchUsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  const rows = new Set<'1' | '2'>();
  for (const id of (only ?? '1,2').split(',').map((s) => s.trim())) {
    if (id !== '1' && id !== '2')
      throw new WriteBenchUsageError(`--only takes 1 and/or 2, got ${JSON.stringify(id)}\n${USAGE}`);
    rows.add(id);
  }
  const scale = quick ? 10 : 1;
  const size = records ?? 100_000 / scale;
  return {
    quick,
    rows,
    outFile: outFile ?? 'bench/results-write.json',
    latency: { records: size, rounds: rounds ?? (quick ? 2 : 3), timeLimitMs: quick ? 20_000 : 150_000 },
    shards: {
      replayRecords: size * 2,
      replayKeys: replayKeys ?? 1_000,
      // The live load's baseline needs a few seconds to have a p99 at all (10 puts a second).
      aloneMs: quick ? 3_000 : 10_000,
      boundMs: quick ? 30_000 : 120_000,
    },
  };
}
