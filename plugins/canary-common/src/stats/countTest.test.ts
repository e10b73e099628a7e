import {
  createSeededRandom,
  dirichletMultinomialLogBayesFactor,
  poissonRateRatio,
  sampleRatioMismatchStep,
  SequentialTestState,
  StatisticsInputError,
} from '.';

describe('Poisson rate ratio', () => {
  const options = { alpha: 0.05, concentration: 100 };

  it('brackets the observed ratio and matches the multinomial Bayes factor', () => {
    const r = poissonRateRatio(
      { events: 30, exposure: 1 },
      { events: 20, exposure: 1 },
      options,
    );
    expect(r.rateRatio).toBe(1.5);
    expect(r.lower).toBeLessThan(1.5);
    expect(r.upper).toBeGreaterThan(1.5);
    expect(r.logBayesFactor).toBeCloseTo(
      dirichletMultinomialLogBayesFactor([20, 30], [0.5, 0.5], [50, 50]),
      12,
    );
  });

  it('is unbounded before any event and one-sided with events in one arm only', () => {
    const none = poissonRateRatio(
      { events: 0, exposure: 1 },
      { events: 0, exposure: 9 },
      options,
    );
    expect([none.lower, none.upper, none.rateRatio, none.pValueAtLook]).toEqual(
      [0, Infinity, 1, 1],
    );
    const canaryOnly = poissonRateRatio(
      { events: 20, exposure: 1 },
      { events: 0, exposure: 19 },
      options,
    );
    expect(canaryOnly.upper).toBe(Infinity);
    expect(canaryOnly.lower).toBeGreaterThan(1);
    const baselineOnly = poissonRateRatio(
      { events: 0, exposure: 1 },
      { events: 40, exposure: 1 },
      options,
    );
    expect(baselineOnly.lower).toBe(0);
    expect(baselineOnly.upper).toBeLessThan(1);
  });

  it('narrows around 1 for identical arms as events accumulate', () => {
    const small = poissonRateRatio(
      { events: 10, exposure: 1 },
      { events: 10, exposure: 1 },
      options,
    );
    const large = poissonRateRatio(
      { events: 5000, exposure: 1 },
      { events: 5000, exposure: 1 },
      options,
    );
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
    expect(large.lower).toBeLessThan(1);
    expect(large.upper).toBeGreaterThan(1);
    expect(large.upper).toBeLessThan(1.1);
  });

  it('rejects negative, fractional and NaN counts and empty exposure', () => {
    expect(() =>
      poissonRateRatio(
        { events: -1, exposure: 1 },
        { events: 1, exposure: 1 },
        options,
      ),
    ).toThrow(StatisticsInputError);
    expect(() =>
      poissonRateRatio(
        { events: 1.5, exposure: 1 },
        { events: 1, exposure: 1 },
        options,
      ),
    ).toThrow('integer');
    expect(() =>
      poissonRateRatio(
        { events: 1, exposure: 0 },
        { events: 1, exposure: 1 },
        options,
      ),
    ).toThrow('exposure');
    expect(() =>
      poissonRateRatio(
        { events: 1, exposure: NaN },
        { events: 1, exposure: 1 },
        options,
      ),
    ).toThrow('exposure');
  });
});

describe('sample-ratio mismatch', () => {
  it('flags a 52/48 split of 100k requests configured as 50/50, not an honest one', () => {
    const random = createSeededRandom(5);
    let honest: SequentialTestState | undefined;
    let broken: SequentialTestState | undefined;
    const counts = { honest: [0, 0], broken: [0, 0] };
    let flaggedHonest = false;
    let flaggedBroken = false;
    for (let look = 0; look < 20; look++) {
      for (let i = 0; i < 5000; i++) {
        counts.honest[random() < 0.5 ? 1 : 0]++;
        counts.broken[random() < 0.52 ? 1 : 0]++;
      }
      const h = sampleRatioMismatchStep(honest, counts.honest, [0.5, 0.5]);
      const b = sampleRatioMismatchStep(broken, counts.broken, [0.5, 0.5]);
      honest = h.state;
      broken = b.state;
      flaggedHonest ||= h.mismatch;
      flaggedBroken ||= b.mismatch;
    }
    expect(flaggedHonest).toBe(false);
    expect(flaggedBroken).toBe(true);
  });

  it('validates its categories', () => {
    expect(() =>
      dirichletMultinomialLogBayesFactor([1, 2], [0.5, 0.6], [1, 1]),
    ).toThrow('sum to 1');
    expect(() => dirichletMultinomialLogBayesFactor([1], [1], [1])).toThrow(
      '>= 2',
    );
    expect(() =>
      sampleRatioMismatchStep(undefined, [1, 2], [0.5, 0.5], { alpha: 2 }),
    ).toThrow('alpha');
  });
});
