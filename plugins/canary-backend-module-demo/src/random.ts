/** A source of uniform random numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence, so tests
 * can be deterministic. Not for anything that needs cryptographic quality.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A draw from a lognormal distribution with the given median and log-scale spread `sigma`. */
export function sampleLognormal(
  random: Random,
  median: number,
  sigma: number,
): number {
  // Box-Muller; 1 - random() keeps the logarithm's argument away from zero.
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return median * Math.exp(sigma * z);
}
