import { toHistogram } from './histogram';

const buckets = (pairs: Array<[string, number]>) =>
  pairs.map(([le, value]) => ({ le, value }));

describe('toHistogram', () => {
  it('turns cumulative le buckets into counts per bucket, in any order', () => {
    expect(
      toHistogram(
        buckets([
          ['+Inf', 100],
          ['0.1', 70],
          ['0.05', 50],
          ['0.25', 90],
        ]),
        'seconds',
      ),
    ).toEqual({ bounds: [0.05, 0.1, 0.25], counts: [50, 20, 20, 10] });
  });

  it('converts millisecond bounds to seconds', () => {
    expect(
      toHistogram(
        buckets([
          ['5', 1],
          ['250', 3],
          ['+Inf', 4],
        ]),
        'milliseconds',
      ),
    ).toEqual({ bounds: [0.005, 0.25], counts: [1, 2, 1] });
  });

  it('rounds extrapolated counts to whole observations and keeps them non-decreasing', () => {
    // increase() extrapolates each bucket on its own: 49.6 + 0.4 is not 50.4 - 0.
    expect(
      toHistogram(
        buckets([
          ['0.1', 49.6],
          ['0.2', 49.4],
          ['+Inf', 101.5],
        ]),
        'seconds',
      ),
    ).toEqual({ bounds: [0.1, 0.2], counts: [50, 0, 52] });
  });

  it('reads a histogram with only the +Inf bucket', () => {
    expect(toHistogram(buckets([['+Inf', 7]]), 'seconds')).toEqual({
      bounds: [],
      counts: [7],
    });
  });

  it.each([
    [[], /no le="\+Inf" bucket/],
    [[['0.1', 3]], /no le="\+Inf" bucket/],
    [
      [
        ['0.1', 3],
        ['1e-1', 3],
        ['+Inf', 3],
      ],
      /two series have the bucket le="1e-1": aggregate them/,
    ],
    [
      [
        ['fast', 3],
        ['+Inf', 3],
      ],
      /le="fast", which is not a number/,
    ],
    [
      [
        ['', 3],
        ['+Inf', 3],
      ],
      /le="", which is not a number/,
    ],
    [[['+Inf', NaN]], /count NaN, expected a finite number >= 0/],
    [[['+Inf', -1]], /count -1/],
  ] as Array<[Array<[string, number]>, RegExp]>)(
    'refuses buckets %j',
    (pairs, problem) => {
      expect(() => toHistogram(buckets(pairs), 'seconds')).toThrow(problem);
    },
  );
});
