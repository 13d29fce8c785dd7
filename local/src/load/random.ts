/**
 * A small seeded random source, so a load run (and a test built on it) can be repeated exactly:
 * the same seed gives the same events, the same malformed items at the same places.
 */

/** Returns numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * mulberry32: tiny, fast and good enough to vary telemetry; not for anything secret.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // 0.6011037519201636, every time
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * One element of a non-empty list.
 *
 * @example
 * pick(random, ['eu-west-1', 'us-east-1']); // 'us-east-1'
 */
export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick needs at least one item');
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * A random version 4 UUID drawn from `random` (reproducible, unlike `crypto.randomUUID`).
 *
 * @example
 * uuidFrom(seededRandom(1)); // 'a08ff49b-6f77-4632-a16c-43069c43a8c3'
 */
export function uuidFrom(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  // Version 4 and the RFC 4122 variant bits, so that validators take it for what it claims to be.
  hex[12] = '4';
  hex[16] = (Math.floor(random() * 4) + 8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
