import { createSeededRandom, type RandomSource } from '../src';

/** Seeded samplers for the simulations. */
export class Sampler {
  private readonly random: RandomSource;
  private spare: number | undefined;

  constructor(seed: number) {
    this.random = createSeededRandom(seed);
  }

  uniform(): number {
    return this.random();
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    for (;;) {
      const u = 2 * this.random() - 1;
      const v = 2 * this.random() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * f;
        return u * f;
      }
    }
  }

  /** Binomial(n, p), exact: counts the successes by jumping geometric gaps between them. */
  binomial(n: number, p: number): number {
    if (p <= 0) return 0;
    if (p >= 1) return n;
    const logQ = Math.log1p(-p);
    let successes = 0;
    let position = Math.floor(Math.log(1 - this.random()) / logQ);
    while (position < n) {
      successes++;
      position += 1 + Math.floor(Math.log(1 - this.random()) / logQ);
    }
    return successes;
  }

  /** Poisson(mean) by inversion (sequential search); exact, for the moderate means used here. */
  poisson(mean: number): number {
    if (mean > 700) throw new Error('poisson(): mean too large for inversion');
    let k = 0;
    let p = Math.exp(-mean);
    let cumulative = p;
    const u = this.random();
    while (u > cumulative && p > 0) {
      k++;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  }
}
