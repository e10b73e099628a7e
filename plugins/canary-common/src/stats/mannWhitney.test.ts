import {
  createSeededRandom,
  mannWhitneyNullDistribution,
  mannWhitneyU,
  StatisticsInputError,
} from '.';

/** U1 by definition: pairs with x > y, ties counting 1/2. */
function bruteForceU(x: number[], y: number[]): number {
  let u = 0;
  for (const a of x) {
    for (const b of y) {
      if (a > b) u += 1;
      else if (a === b) u += 0.5;
    }
  }
  return u;
}

/** P(U = u) by enumerating every way to choose which ranks belong to x. */
function enumeratedDistribution(m: number, n: number): number[] {
  const counts = new Array(m * n + 1).fill(0);
  const total = m + n;
  let ways = 0;
  for (let mask = 0; mask < 1 << total; mask++) {
    let bits = 0;
    for (let i = 0; i < total; i++) bits += (mask >> i) & 1;
    if (bits !== m) continue;
    let u = 0;
    let ysBelow = 0;
    for (let rank = 0; rank < total; rank++) {
      if ((mask >> rank) & 1) u += ysBelow;
      else ysBelow++;
    }
    counts[u]++;
    ways++;
  }
  return counts.map(c => c / ways);
}

describe('Mann-Whitney U', () => {
  it('matches the definition of U on random data with ties, through the radix sort too', () => {
    const random = createSeededRandom(7);
    for (const size of [5, 300, 5000]) {
      const x = Array.from(
        { length: size },
        () => Math.round(random() * 50) - 20,
      );
      const y = Array.from(
        { length: size + 3 },
        () => Math.round(random() * 50) - 18,
      );
      const r = mannWhitneyU(x, y);
      expect(r.u1).toBe(bruteForceU(x, y));
      expect(r.u1 + r.u2).toBe(x.length * y.length);
    }
  });

  it('treats -0 and 0 as tied', () => {
    const r = mannWhitneyU([-0, 1], [0, 2]);
    expect(r.tieTerm).toBe(6);
    expect(r.u1).toBe(1.5);
  });

  it('gives p = 1 for identical and for constant arms', () => {
    expect(mannWhitneyU([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
    const constant = mannWhitneyU([4, 4, 4, 4], [4, 4, 4]);
    expect(constant.pValue).toBe(1);
    expect(constant.rankBiserial).toBe(0);
    expect(constant.cles).toBe(0.5);
  });

  it('works with one observation per arm', () => {
    const r = mannWhitneyU([2], [1]);
    expect(r.method).toBe('exact');
    expect(r.u1).toBe(1);
    expect(r.pValue).toBe(1);
    expect(mannWhitneyU([2], [1], { alternative: 'greater' }).pValue).toBe(0.5);
  });

  it('chooses the asymptotic method for ties and large samples', () => {
    expect(mannWhitneyU([1, 2, 2], [3, 4]).method).toBe('asymptotic');
    const big = Array.from({ length: 60 }, (_, i) => i);
    expect(
      mannWhitneyU(
        big,
        big.map(v => v + 0.5),
      ).method,
    ).toBe('asymptotic');
  });

  it('one-sided p-values add up to about 1', () => {
    const x = [1.1, 2.3, 3.2, 4.8, 5.1, 7.7, 8.2, 9.9];
    const y = [0.5, 1.9, 2.8, 3.3, 4.1, 6.6, 7.1];
    for (const method of ['exact', 'asymptotic'] as const) {
      const greater = mannWhitneyU(x, y, {
        alternative: 'greater',
        method,
        continuity: false,
      });
      const less = mannWhitneyU(x, y, {
        alternative: 'less',
        method,
        continuity: false,
      });
      expect(greater.pValue + less.pValue).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(greater.pValue + less.pValue).toBeLessThan(1.3);
    }
  });

  it('rejects empty arms and non-finite values', () => {
    expect(() => mannWhitneyU([], [1, 2])).toThrow('at least 1 value');
    expect(() => mannWhitneyU([1, NaN], [1, 2])).toThrow(
      'x[1] must be a finite number',
    );
    expect(() => mannWhitneyU([1], [Infinity])).toThrow(StatisticsInputError);
  });
});

describe('exact null distribution', () => {
  it('equals full enumeration and is symmetric', () => {
    for (const [m, n] of [
      [1, 1],
      [2, 5],
      [4, 4],
      [6, 3],
    ]) {
      const exact = Array.from(mannWhitneyNullDistribution(m, n));
      const enumerated = enumeratedDistribution(m, n);
      exact.forEach((p, u) => {
        expect(p).toBeCloseTo(enumerated[u], 14);
        expect(p).toBeCloseTo(exact[m * n - u], 14);
      });
    }
  });

  it('refuses sizes it cannot compute', () => {
    expect(() => mannWhitneyNullDistribution(0, 3)).toThrow(
      'positive integers',
    );
    expect(() => mannWhitneyNullDistribution(200, 200)).toThrow('asymptotic');
    expect(() =>
      mannWhitneyU([1, 2, 3], [4, 5], { method: 'exact' }),
    ).not.toThrow();
  });
});
