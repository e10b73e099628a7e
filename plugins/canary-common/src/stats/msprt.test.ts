import {
  bernoulliDifference,
  createSeededRandom,
  msprtHalfWidth,
  msprtLogLikelihoodRatio,
  msprtOneSidedLogLikelihoodRatio,
  msprtSequence,
  msprtStep,
  msprtTau2ForMargin,
  StatisticsInputError,
} from '.';

describe('mSPRT', () => {
  it('half-width inverts the test: at the bound, 1/L equals alpha', () => {
    const variance = 2e-6;
    const tau2 = 1e-5;
    const w = msprtHalfWidth(variance, tau2, 0.05);
    expect(Math.exp(-msprtLogLikelihoodRatio(w, variance, tau2))).toBeCloseTo(
      0.05,
      12,
    );
  });

  it('tunes tau2 so the half-width reaches the margin with a 3-sd boundary', () => {
    const margin = 0.002;
    const tau2 = msprtTau2ForMargin(margin, 0.05);
    // Find V where the half-width equals the margin: the boundary there is ~3.04 sd.
    let lo = 1e-12;
    let hi = 1e-4;
    for (let i = 0; i < 200; i++) {
      const mid = Math.sqrt(lo * hi);
      if (msprtHalfWidth(mid, tau2, 0.05) > margin) hi = mid;
      else lo = mid;
    }
    expect(margin / Math.sqrt(lo)).toBeCloseTo(3.04, 2);
    expect(tau2 / lo).toBeCloseTo(7.94, 2);
  });

  it('one-sided evidence grows with harm and vanishes against improvement', () => {
    const harm = msprtOneSidedLogLikelihoodRatio(0.01, 1e-5, 2e-5);
    const none = msprtOneSidedLogLikelihoodRatio(-0.01, 1e-5, 2e-5);
    expect(harm).toBeGreaterThan(msprtLogLikelihoodRatio(0.01, 1e-5, 2e-5));
    expect(none).toBeLessThan(0);
    expect(none).toBeLessThan(msprtLogLikelihoodRatio(-0.01, 1e-5, 2e-5) - 4);
  });

  it('keeps a running minimum p-value and a shrinking intersection', () => {
    const looks = msprtSequence(
      [
        { thetaHat: 0.01, variance: 1e-5 },
        { thetaHat: -0.001, variance: 5e-6 },
        { thetaHat: 0.004, variance: 2e-6 },
      ],
      { tau2: 1e-5, alpha: 0.05 },
    );
    for (let i = 1; i < looks.length; i++) {
      expect(looks[i].pValue).toBeLessThanOrEqual(looks[i - 1].pValue);
      expect(looks[i].state.lower).toBeGreaterThanOrEqual(
        looks[i - 1].state.lower,
      );
      expect(looks[i].state.upper).toBeLessThanOrEqual(
        looks[i - 1].state.upper,
      );
    }
  });

  it('collapses rather than inverts when a new interval misses the running one', () => {
    const first = msprtStep(
      undefined,
      { thetaHat: 0, variance: 1e-8 },
      { tau2: 1e-6, alpha: 0.05 },
    );
    const second = msprtStep(
      first.state,
      { thetaHat: 1, variance: 1e-8 },
      { tau2: 1e-6, alpha: 0.05 },
    );
    expect(second.state.lower).toBe(second.state.upper);
    expect(second.state.upper).toBe(first.state.upper);
  });

  it('stays below alpha in an A/A simulation checked at every look (seeded)', () => {
    const random = createSeededRandom(2024);
    const runs = 300;
    const tau2 = msprtTau2ForMargin(0.01, 0.05);
    let rejections = 0;
    for (let r = 0; r < runs; r++) {
      let xa = 0;
      let xb = 0;
      let n = 0;
      const estimates = [];
      for (let look = 0; look < 40; look++) {
        for (let i = 0; i < 250; i++) {
          xa += random() < 0.1 ? 1 : 0;
          xb += random() < 0.1 ? 1 : 0;
        }
        n += 250;
        estimates.push(bernoulliDifference(n, xa, n, xb));
      }
      if (msprtSequence(estimates, { tau2, alpha: 0.05 }).some(l => l.reject))
        rejections++;
    }
    expect(rejections / runs).toBeLessThan(0.05);
  });

  it('rejects zero variance and NaN', () => {
    expect(() => msprtLogLikelihoodRatio(0, 0, 1)).toThrow(
      'variance must be > 0',
    );
    expect(() => msprtLogLikelihoodRatio(NaN, 1, 1)).toThrow(
      StatisticsInputError,
    );
    expect(() => msprtHalfWidth(1, 1, 0)).toThrow('alpha');
    expect(() => bernoulliDifference(0, 0, 10, 1)).toThrow(
      'at least one trial',
    );
  });
});
