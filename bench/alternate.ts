/**
 * Runs a measurement and its baseline in alternating rounds, so that drift on a shared machine
 * (other people's test runs, autovacuum, garbage collection, a warming JIT) falls on both alike. The
 * order flips every round (A B, B A, A B, ...): whichever runs second in a round does not always
 * inherit the first one's caches or debris.
 */

/** One side of a comparison: does its work and returns the milliseconds it counts. */
export type Trial = (round: number) => Promise<number>;

export interface AlternateOptions {
  rounds: number;
  /** Rounds run first and thrown away (connections, JIT, kinesalite's first stream). */
  warmup?: number;
  /** Stop starting rounds after this long, whatever `rounds` says (at least one measured round runs). */
  timeLimitMs?: number;
  /** Called after each measured round, for progress lines. */
  onRound?: (round: number, a: number, b: number) => void;
}

export interface Alternated {
  a: number[];
  b: number[];
}

/**
 * @example
 * const { a, b } = await alternate(() => timed(runOurs), () => timed(runBaseline), { rounds: 20, warmup: 2 });
 */
export async function alternate(a: Trial, b: Trial, options: AlternateOptions): Promise<Alternated> {
  const warmup = options.warmup ?? 0;
  const started = performance.now();
  const out: Alternated = { a: [], b: [] };
  for (let round = 0; round < warmup + options.rounds; round += 1) {
    const measured = round - warmup;
    if (measured > 0 && options.timeLimitMs !== undefined && performance.now() - started > options.timeLimitMs) break;
    let msA: number;
    let msB: number;
    if (round % 2 === 0) {
      msA = await a(round);
      msB = await b(round);
    } else {
      msB = await b(round);
      msA = await a(round);
    }
    if (measured >= 0) {
      out.a.push(msA);
      out.b.push(msB);
      options.onRound?.(measured, msA, msB);
    }
  }
  return out;
}
