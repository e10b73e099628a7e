import {
  createSeededRandom,
  median,
  percentileBootstrap,
  quantile,
  StatisticsInputError,
} from '.';

const meanDifference = (x: Float64Array, y: Float64Array) =>
  x.reduce((a, b) => a + b, 0) / x.length -
  y.reduce((a, b) => a + b, 0) / y.length;

describe('quantiles', () => {
  it('interpolates linearly between order statistics (type 7)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
    expect(quantile([7], 0.9)).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it('rejects empty samples and bad probabilities', () => {
    expect(() => median([])).toThrow(StatisticsInputError);
    expect(() => quantile([1, 2], 2)).toThrow('between 0 and 1');
  });
});

describe('percentile bootstrap', () => {
  const x = [5.1, 4.9, 6.2, 5.5, 5.8, 6.0, 4.7, 5.3];
  const y = [4.1, 4.4, 3.9, 4.8, 4.6, 4.2, 4.0];

  it('is reproducible with the same seed and differs with another', () => {
    const a = percentileBootstrap(x, y, meanDifference, {
      random: createSeededRandom(1),
    });
    const b = percentileBootstrap(x, y, meanDifference, {
      random: createSeededRandom(1),
    });
    const c = percentileBootstrap(x, y, meanDifference, {
      random: createSeededRandom(2),
    });
    expect(a.interval).toEqual(b.interval);
    expect(c.interval).not.toEqual(a.interval);
    expect(a.interval[0]).toBeLessThan(a.observed);
    expect(a.interval[1]).toBeGreaterThan(a.observed);
    expect(a.replicates).toHaveLength(2000);
  });

  it('uses the random source it is given', () => {
    const calls: number[] = [];
    const random = () => {
      calls.push(1);
      return 0; // always the first element
    };
    const r = percentileBootstrap(x, y, meanDifference, {
      random,
      resamples: 3,
    });
    expect(calls).toHaveLength(3 * (x.length + y.length));
    expect(Array.from(r.replicates)).toEqual([
      x[0] - y[0],
      x[0] - y[0],
      x[0] - y[0],
    ]);
  });

  it('gives a zero-width interval for constant arms', () => {
    const r = percentileBootstrap([2, 2, 2], [1, 1], meanDifference);
    expect(r.interval).toEqual([1, 1]);
  });

  it('validates given indices', () => {
    expect(() =>
      percentileBootstrap([1, 2], [3], meanDifference, {
        indices: { x: [[0, 2]], y: [[0]] },
      }),
    ).toThrow('indices.x[0][1]');
    expect(() =>
      percentileBootstrap([1, 2], [3], meanDifference, {
        indices: { x: [[0]], y: [[0]] },
      }),
    ).toThrow('2 entries');
    expect(() =>
      percentileBootstrap([1], [2], meanDifference, { resamples: 0 }),
    ).toThrow('resamples');
  });
});
