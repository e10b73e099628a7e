import {
  logGamma,
  normalCdf,
  normalIsf,
  normalLogCdf,
  normalLogSf,
  normalPpf,
  normalSf,
  StatisticsInputError,
} from '.';

describe('normal distribution', () => {
  it('keeps relative accuracy in the far lower tail', () => {
    expect(normalCdf(-37.5) / 4.605353009581954e-308).toBeCloseTo(1, 10);
    expect(normalSf(37.5)).toBe(normalCdf(-37.5));
    expect(normalCdf(-40)).toBe(0);
    expect(normalLogCdf(-40)).toBeCloseTo(-804.6084420137539, 9);
    expect(normalLogSf(40)).toBe(normalLogCdf(-40));
  });

  it('is symmetric and inverts its quantile', () => {
    for (const x of [-8, -3.2, -1, 0, 0.5, 2, 6]) {
      expect(normalCdf(x) + normalSf(x)).toBeCloseTo(1, 15);
      // Invert through the tail that holds the probability exactly (a CDF near 1 cannot).
      expect(normalPpf(normalCdf(-Math.abs(x)))).toBeCloseTo(-Math.abs(x), 12);
      expect(normalIsf(normalSf(Math.abs(x)))).toBeCloseTo(Math.abs(x), 12);
    }
    expect(normalPpf(0.5)).toBe(0);
  });

  it('maps the ends of [0, 1] to infinities', () => {
    expect(normalPpf(0)).toBe(-Infinity);
    expect(normalPpf(1)).toBe(Infinity);
    expect(normalIsf(0)).toBe(Infinity);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
  });

  it('computes log gamma', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
  });

  it('throws on NaN and on probabilities outside [0, 1]', () => {
    expect(() => normalCdf(NaN)).toThrow(StatisticsInputError);
    expect(() => normalSf(NaN)).toThrow('must be a number');
    expect(() => normalLogCdf(NaN)).toThrow(StatisticsInputError);
    expect(() => normalPpf(1.5)).toThrow('between 0 and 1');
    expect(() => normalPpf(-0.1)).toThrow(StatisticsInputError);
    expect(() => normalIsf(NaN)).toThrow(StatisticsInputError);
    expect(() => logGamma(NaN)).toThrow(StatisticsInputError);
  });
});
