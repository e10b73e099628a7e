import {
  cohensH,
  newcombeInterval,
  StatisticsInputError,
  twoProportionNonInferiorityTest,
  twoProportionPower,
  twoProportionSampleSize,
  twoProportionZTest,
  wilsonInterval,
} from '.';

describe('two-proportion z-test', () => {
  it('finds no evidence when both arms have zero counts or only successes', () => {
    expect(twoProportionZTest(0, 1000, 0, 1000)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(50, 50, 80, 80)).toEqual({ z: 0, pValue: 1 });
  });

  it('gives z = 0 for identical arms and is antisymmetric', () => {
    expect(twoProportionZTest(30, 1000, 30, 1000).z).toBe(0);
    const ab = twoProportionZTest(45, 10000, 30, 10000);
    const ba = twoProportionZTest(30, 10000, 45, 10000);
    expect(ba.z).toBeCloseTo(-ab.z, 14);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 14);
  });

  it('works with one observation per arm', () => {
    const r = twoProportionZTest(1, 1, 0, 1, 'larger');
    expect(r.z).toBeCloseTo(Math.SQRT2, 14);
  });

  it('rejects invalid counts with a clear error', () => {
    expect(() => twoProportionZTest(-1, 10, 0, 10)).toThrow(
      StatisticsInputError,
    );
    expect(() => twoProportionZTest(11, 10, 0, 10)).toThrow('exceed trials');
    expect(() => twoProportionZTest(0, 0, 0, 10)).toThrow('at least one trial');
    expect(() => twoProportionZTest(1.5, 10, 0, 10)).toThrow('integer');
    expect(() => twoProportionZTest(NaN, 10, 0, 10)).toThrow(
      StatisticsInputError,
    );
  });
});

describe('intervals', () => {
  it('Wilson stays within [0, 1] at the edges', () => {
    expect(wilsonInterval(0, 1)[0]).toBe(0);
    expect(wilsonInterval(1, 1)[1]).toBe(1);
    const [lo, hi] = wilsonInterval(5, 10);
    expect(lo + hi).toBeCloseTo(1, 14);
  });

  it('Newcombe contains the difference and is centred for identical arms', () => {
    const [lo, hi] = newcombeInterval(0, 500, 0, 500);
    expect(lo).toBeCloseTo(-hi, 14);
    expect(lo).toBeLessThan(0);
    const [l2, h2] = newcombeInterval(60, 1000, 40, 1000);
    expect(l2).toBeLessThan(0.02);
    expect(h2).toBeGreaterThan(0.02);
  });

  it('rejects a level outside (0, 1)', () => {
    expect(() => wilsonInterval(1, 10, 1)).toThrow('alpha');
    expect(() => newcombeInterval(1, 10, 1, 10, 0)).toThrow(
      StatisticsInputError,
    );
  });
});

describe('non-inferiority', () => {
  it('shows non-inferiority only with enough data', () => {
    const small = twoProportionNonInferiorityTest(5, 1000, 5, 1000, 0.002);
    const large = twoProportionNonInferiorityTest(
      500,
      100000,
      500,
      100000,
      0.002,
    );
    expect(small.pValue).toBeGreaterThan(0.05);
    expect(large.pValue).toBeLessThan(0.001);
  });

  it('handles zero counts with the score method', () => {
    const r = twoProportionNonInferiorityTest(0, 1000, 0, 1000, 0.005, 'score');
    expect(r.pValue).toBeLessThan(0.05);
    expect(Number.isFinite(r.z)).toBe(true);
  });

  it('rejects a margin outside (-1, 1)', () => {
    expect(() => twoProportionNonInferiorityTest(1, 10, 1, 10, 1)).toThrow(
      'margin',
    );
  });
});

describe('power and sample size', () => {
  it('agrees with itself: the planned n has the planned power', () => {
    const n = twoProportionSampleSize(0.012, 0.01, { power: 0.9 });
    expect(twoProportionPower(0.012, 0.01, n)).toBeCloseTo(0.9, 9);
    expect(cohensH(0.5, 0.5)).toBe(0);
  });

  it('refuses to plan for no difference and invalid levels', () => {
    expect(() => twoProportionSampleSize(0.01, 0.01)).toThrow('equal');
    expect(() => twoProportionSampleSize(0.01, 0.02, { power: 1 })).toThrow(
      'power',
    );
    expect(() => cohensH(1.2, 0.5)).toThrow(StatisticsInputError);
    expect(() => twoProportionPower(0.1, 0.2, 0)).toThrow('nPerGroup');
  });
});
