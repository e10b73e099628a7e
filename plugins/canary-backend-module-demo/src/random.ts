import type { RandomSource } from '@canary-release/backstage-plugin-canary-common';

/** A draw from a lognormal distribution with the given median and log-scale spread `sigma`. */
export function sampleLognormal(
  random: RandomSource,
  median: number,
  sigma: number,
): number {
  // Box-Muller; 1 - random() keeps the logarithm's argument away from zero.
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return median * Math.exp(sigma * z);
}
