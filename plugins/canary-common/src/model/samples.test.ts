import { addArmSamples, histogramQuantile } from './samples';

describe('addArmSamples', () => {
  it('adds counts, buckets and ratios; the later gauge wins', () => {
    const sum = addArmSamples(
      {
        requests: 10,
        errors: 1,
        latency: { bounds: [0.1, 0.5], counts: [5, 4, 1] },
        ratios: { conversion: { count: 2, total: 10 } },
        gauges: { 'cpu-cores': 0.5 },
      },
      {
        requests: 20,
        errors: 0,
        latency: { bounds: [0.1, 0.5], counts: [10, 10, 0] },
        ratios: {
          conversion: { count: 3, total: 20 },
          signup: { count: 1, total: 20 },
        },
        gauges: { 'cpu-cores': 0.7 },
      },
    );
    expect(sum).toEqual({
      requests: 30,
      errors: 1,
      latency: { bounds: [0.1, 0.5], counts: [15, 14, 1] },
      ratios: {
        conversion: { count: 5, total: 30 },
        signup: { count: 1, total: 20 },
      },
      gauges: { 'cpu-cores': 0.7 },
    });
  });

  it('refuses histograms with different buckets', () => {
    expect(() =>
      addArmSamples(
        { requests: 1, errors: 0, latency: { bounds: [1], counts: [1, 0] } },
        { requests: 1, errors: 0, latency: { bounds: [2], counts: [1, 0] } },
      ),
    ).toThrow('different buckets');
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket, like histogram_quantile', () => {
    const histogram = { bounds: [0.1, 0.2, 0.4], counts: [50, 30, 20, 0] };
    expect(histogramQuantile(0.5, histogram)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.65, histogram)).toBeCloseTo(0.15);
    expect(histogramQuantile(0.9, histogram)).toBeCloseTo(0.3);
  });

  it('answers the highest bound for the open bucket, and nothing for no data', () => {
    expect(histogramQuantile(0.99, { bounds: [0.1], counts: [1, 9] })).toBe(
      0.1,
    );
    expect(
      histogramQuantile(0.5, { bounds: [0.1], counts: [0, 0] }),
    ).toBeUndefined();
    expect(histogramQuantile(0.5, undefined)).toBeUndefined();
  });
});
