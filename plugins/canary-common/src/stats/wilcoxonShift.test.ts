import {
  createSeededRandom,
  hodgesLehmann,
  kayentaMannWhitney,
  StatisticsInputError,
  wilcoxonShiftInterval,
} from '.';
import { kthPairwiseDifference } from './wilcoxonShift';

function sortedDifferences(x: number[], y: number[]): number[] {
  return x.flatMap(a => y.map(b => a - b)).sort((a, b) => a - b);
}

describe('Hodges-Lehmann', () => {
  const random = createSeededRandom(3);

  it('finds every order statistic of the pairwise differences without forming them', () => {
    const x = Array.from({ length: 23 }, () => Math.round(random() * 30) / 3);
    const y = Array.from({ length: 17 }, () => random() * 10);
    const all = sortedDifferences(x, y);
    const xs = Float64Array.from(x).sort();
    const ys = Float64Array.from(y).sort();
    for (let k = 1; k <= all.length; k++) {
      expect(kthPairwiseDifference(xs, ys, k)).toBe(all[k - 1]);
    }
  });

  it('estimates the median pairwise difference, odd and even counts', () => {
    const x = [3.1, 5.2, 7.7];
    const y = [1.0, 2.5, 2.6];
    const d = sortedDifferences(x, y);
    expect(hodgesLehmann(x, y).estimate).toBe(d[4]);
    const y2 = [1.0, 2.5];
    const d2 = sortedDifferences(x, y2);
    expect(hodgesLehmann(x, y2).estimate).toBe((d2[2] + d2[3]) / 2);
  });

  it('is exact without ties and falls back to the normal approximation with ties', () => {
    const exact = hodgesLehmann([1, 2, 3, 4, 5, 6], [2.5, 3.5, 4.5, 5.5]);
    expect(exact.method).toBe('exact');
    expect(exact.achievedConfLevel).toBeGreaterThanOrEqual(0.95);
    const tied = hodgesLehmann([1, 2, 2, 3, 4, 5, 5, 6], [2, 3, 3, 4, 5]);
    expect(tied.method).toBe('asymptotic');
    expect(tied.interval[0]).toBeLessThanOrEqual(tied.estimate);
    expect(tied.interval[1]).toBeGreaterThanOrEqual(tied.estimate);
  });

  it('gives a zero shift for identical arms and the constant difference for constant arms', () => {
    const same = hodgesLehmann([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(same.estimate).toBe(0);
    const constant = hodgesLehmann([5, 5, 5], [2, 2]);
    expect(constant.estimate).toBe(3);
    expect(constant.interval).toEqual([3, 3]);
  });

  it('handles one observation per arm and large samples', () => {
    expect(hodgesLehmann([4], [1]).interval).toEqual([3, 3]);
    const x = Array.from({ length: 3000 }, () => random() + 0.1);
    const y = Array.from({ length: 2000 }, () => random());
    const r = hodgesLehmann(x, y);
    expect(r.method).toBe('asymptotic');
    expect(r.estimate).toBeGreaterThan(0.05);
    expect(r.estimate).toBeLessThan(0.15);
    expect(r.interval[0]).toBeLessThan(r.estimate);
    expect(r.interval[1]).toBeGreaterThan(r.estimate);
  });

  it('rejects bad input', () => {
    expect(() => hodgesLehmann([], [1])).toThrow(StatisticsInputError);
    expect(() => hodgesLehmann([1], [NaN])).toThrow('finite');
    expect(() => hodgesLehmann([1], [2], 1)).toThrow('confLevel');
  });
});

describe("R's asymptotic shift interval and Kayenta's copy", () => {
  it('brackets the Hodges-Lehmann estimate', () => {
    const x = [
      115.03, 91.89, 104.9, 106.69, 107.55, 101.78, 96.51, 102.01, 106.29,
    ];
    const y = [
      89.78, 107.56, 98.82, 90.1, 92.0, 103.29, 108.15, 101.6, 97.95, 95.33,
    ];
    const r = wilcoxonShiftInterval(x, y);
    const hl = hodgesLehmann(x, y).estimate;
    expect(r.interval[0]).toBeLessThan(hl);
    expect(r.interval[1]).toBeGreaterThan(hl);
  });

  it('refuses an interval when every observation is tied', () => {
    expect(() => wilcoxonShiftInterval([2, 2], [2, 2, 2])).toThrow(
      'all observations are tied',
    );
  });

  it('passes a canary whose points are mostly 100x the baseline (spinnaker issue 6278)', () => {
    const canary = [100, 100, 100, 100, 100, 100, 100, 1, 1, 1];
    const baseline = new Array(10).fill(1);
    const r = kayentaMannWhitney(canary, baseline, 0.98);
    expect(r.classification).toBe('Pass');
    expect(r.upperBound).toBeGreaterThan(r.interval[0]);
  });

  it('classifies a clean shift as High', () => {
    const r = kayentaMannWhitney([10, 20, 30, 40, 50, 60], [1, 2, 3, 4, 5, 6]);
    expect(r.classification).toBe('High');
  });
});
