/**
 * A small seeded PRNG and the few distributions the capture generator draws
 * from. Written here rather than taken from a package so that a seed means the
 * same bytes forever, whatever a dependency does next.
 */

export type Random = () => number;

/** mulberry32: 32 bits of state, fast, good enough for traffic; same seed ⇒ same sequence. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [low, high], both included. */
export function uniformInt(rng: Random, low: number, high: number): number {
  return low + Math.floor(rng() * (high - low + 1));
}

/** Spread evenly over orders of magnitude: as many values in 1–10 as in 10–100. */
export function logUniform(rng: Random, low: number, high: number): number {
  return low * Math.pow(high / low, rng());
}

export function exponential(rng: Random, mean: number): number {
  return -mean * Math.log(1 - rng());
}

/** Pareto: most draws near `minimum`, a heavy tail above (smaller `alpha`, heavier tail). */
export function pareto(rng: Random, minimum: number, alpha: number): number {
  return minimum / Math.pow(1 - rng(), 1 / alpha);
}
