import type { Histogram } from '../model';
import { StatisticsInputError } from './errors';
import { selectRanks } from './sort';
import {
  assertClosedUnit,
  assertCount,
  assertNonNegative,
  assertOpenUnit,
  assertPositive,
  nonNegativeFloat64,
} from './validate';

/**
 * Half-width of a time-uniform confidence band for a CDF after t observations (Howard and Ramdas,
 * "Sequential estimation of quantiles with applications to A/B-testing and best-arm
 * identification", Bernoulli 2022, closed form):
 * eps_t = 0.85 sqrt((ln ln(e t) + 0.8 ln(1612/alpha)) / t).
 * The band F_t(x) +/- eps_t holds for all x and all t at once with probability 1 - alpha, so it
 * can be checked after every observation. At t = 1000, alpha = 0.05: 0.0866.
 *
 * @public
 */
export function timeUniformBandWidth(t: number, alpha: number): number {
  assertPositive('t', t);
  assertOpenUnit('alpha', alpha);
  return (
    0.85 *
    Math.sqrt(
      (Math.log(Math.log(Math.E * t)) + 0.8 * Math.log(1612 / alpha)) / t,
    )
  );
}

/**
 * Half-width of the fixed-n Dvoretzky-Kiefer-Wolfowitz band, sqrt(ln(2/alpha) / (2n)): valid for
 * one look at n observations only (0.0429 at n = 1000, alpha = 0.05).
 *
 * @public
 */
export function dkwBandWidth(n: number, alpha: number): number {
  assertPositive('n', n);
  assertOpenUnit('alpha', alpha);
  return Math.sqrt(Math.log(2 / alpha) / (2 * n));
}

/**
 * One arm's observations: raw values, or a histogram whose counts[i] are the observations in
 * (bounds[i-1], bounds[i]] (the first bucket starts at 0, the last one is open). Values are
 * non-negative (latencies, sizes).
 *
 * @public
 */
export type DistributionSample =
  | { samples: ArrayLike<number> }
  | { histogram: Histogram };

/** @public */
export interface QuantileBound {
  p: number;
  /** Point estimate: type-7 interpolation for samples, linear within the bucket for histograms. */
  estimate: number;
  /** The quantile is at least this (0 when the band reaches below the data). */
  lower: number;
  /** The quantile is at most this (Infinity when the band reaches above the data). */
  upper: number;
}

/** @public */
export interface QuantileBandResult {
  /** Number of observations. */
  n: number;
  /** Half-width of the CDF band used. */
  epsilon: number;
  quantiles: QuantileBound[];
}

/**
 * Bounds on the p-quantiles implied by a band F(x) within +/- epsilon of the empirical CDF:
 * Q(p) lies in [Q_n(p - epsilon), Q_n(p + epsilon)]. Histograms are treated conservatively: a
 * lower bound is the lower edge of its bucket and an upper bound the upper edge, so coarse buckets
 * give wide bounds rather than false precision.
 *
 * @public
 */
export function quantileBounds(
  data: DistributionSample,
  ps: number[],
  epsilon: number,
): QuantileBandResult {
  const { n, quantiles } = boundQuantiles(
    data,
    ps.map(p => ({ p, epsilon })),
  );
  return { n, epsilon, quantiles };
}

/** One arm's observations, validated once and ready for any number of bound computations. */
export type PreparedDistribution =
  | { kind: 'samples'; n: number; values: Float64Array }
  | {
      kind: 'histogram';
      n: number;
      bounds: number[];
      counts: number[];
      cumulative: Float64Array;
    };

/** Validates one arm's observations (finite, non-negative; a well-formed histogram). */
export function prepareDistribution(
  data: DistributionSample,
): PreparedDistribution {
  if ('histogram' in data) {
    const { bounds, counts } = data.histogram;
    assertHistogram(bounds, counts);
    const cumulative = new Float64Array(counts.length);
    let n = 0;
    counts.forEach((c, i) => {
      cumulative[i] = n += c;
    });
    return { kind: 'histogram', n, bounds, counts, cumulative };
  }
  const values = nonNegativeFloat64('samples', data.samples);
  return { kind: 'samples', n: values.length, values };
}

/** Quantile bounds for several (p, epsilon) pairs at once: one selection pass over the samples. */
export function boundQuantiles(
  data: DistributionSample | PreparedDistribution,
  requests: Array<{ p: number; epsilon: number }>,
): { n: number; quantiles: QuantileBound[] } {
  requests.forEach(({ p, epsilon }, i) => {
    assertClosedUnit(`p[${i}]`, p);
    assertNonNegative(`epsilon[${i}]`, epsilon);
  });
  const prepared = 'kind' in data ? data : prepareDistribution(data);
  if (prepared.n === 0) {
    throw new StatisticsInputError(
      'quantile bounds need at least one observation',
    );
  }
  return {
    n: prepared.n,
    quantiles:
      prepared.kind === 'histogram'
        ? histogramBounds(prepared, requests)
        : sampleBounds(prepared.values, requests),
  };
}

/**
 * Time-uniform (default) or fixed-n quantile confidence band of one arm at level 1 - alpha.
 *
 * @public
 */
export function quantileConfidenceBand(
  data: DistributionSample,
  ps: number[],
  options: { alpha: number; timeUniform?: boolean },
): QuantileBandResult {
  const prepared = prepareDistribution(data);
  if (prepared.n === 0) {
    throw new StatisticsInputError(
      'a quantile band needs at least one observation',
    );
  }
  const epsilon =
    options.timeUniform === false
      ? dkwBandWidth(prepared.n, options.alpha)
      : timeUniformBandWidth(prepared.n, options.alpha);
  const { quantiles } = boundQuantiles(
    prepared,
    ps.map(p => ({ p, epsilon })),
  );
  return { n: prepared.n, epsilon, quantiles };
}

/** Number of observations of one arm (validating it). @public */
export function distributionSize(data: DistributionSample): number {
  return prepareDistribution(data).n;
}

function assertHistogram(bounds: number[], counts: number[]): void {
  if (!Array.isArray(bounds) || !Array.isArray(counts)) {
    throw new StatisticsInputError(
      'a histogram needs bounds and counts arrays',
    );
  }
  if (counts.length !== bounds.length + 1) {
    throw new StatisticsInputError(
      `a histogram needs one more count than bounds (the last bucket is open): ${bounds.length} bounds, ${counts.length} counts`,
    );
  }
  for (let i = 0; i < bounds.length; i++) {
    assertNonNegative(`bounds[${i}]`, bounds[i]);
    if (i > 0 && !(bounds[i] > bounds[i - 1])) {
      throw new StatisticsInputError('histogram bounds must increase strictly');
    }
  }
  for (let i = 0; i < counts.length; i++)
    assertCount(`counts[${i}]`, counts[i]);
}

function sampleBounds(
  data: Float64Array,
  requests: Array<{ p: number; epsilon: number }>,
): QuantileBound[] {
  const n = data.length;
  // 0-based ranks: lower bound X_(ceil(n(p-eps))), upper X_(ceil(n(p+eps))), type-7 neighbours.
  const plan = requests.map(({ p, epsilon }) => {
    const h = (n - 1) * p;
    const lowerRank = Math.ceil(n * (p - epsilon)) - 1;
    const upperRank = Math.ceil(n * (p + epsilon)) - 1;
    return {
      p,
      h,
      below: Math.floor(h),
      above: Math.min(Math.floor(h) + 1, n - 1),
      lowerRank: lowerRank >= 0 ? lowerRank : undefined,
      upperRank: upperRank <= n - 1 ? upperRank : undefined,
    };
  });
  const ranks = new Set<number>();
  for (const q of plan) {
    ranks.add(q.below).add(q.above);
    if (q.lowerRank !== undefined) ranks.add(q.lowerRank);
    if (q.upperRank !== undefined) ranks.add(q.upperRank);
  }
  const wanted = [...ranks].sort((a, b) => a - b);
  const selected = selectRanks(data, wanted);
  const value = new Map(wanted.map((rank, i) => [rank, selected[i]]));
  const at = (rank: number) => value.get(rank)!;
  return plan.map(q => ({
    p: q.p,
    estimate: at(q.below) + (q.h - q.below) * (at(q.above) - at(q.below)),
    lower: q.lowerRank === undefined ? 0 : at(q.lowerRank),
    upper: q.upperRank === undefined ? Infinity : at(q.upperRank),
  }));
}

function histogramBounds(
  histogram: Extract<PreparedDistribution, { kind: 'histogram' }>,
  requests: Array<{ p: number; epsilon: number }>,
): QuantileBound[] {
  const { n, bounds, counts, cumulative } = histogram;
  const lowerEdge = (bucket: number) => (bucket === 0 ? 0 : bounds[bucket - 1]);
  const upperEdge = (bucket: number) =>
    bucket < bounds.length ? bounds[bucket] : Infinity;
  // The bucket holding the k-th smallest observation (1-based): binary search.
  const bucketOf = (k: number) => {
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return requests.map(({ p, epsilon }) => {
    const lowerK = Math.ceil(n * (p - epsilon));
    const upperK = Math.ceil(n * (p + epsilon));
    const rank = Math.max(p * n, Number.MIN_VALUE);
    const bucket = bucketOf(rank);
    const before = bucket === 0 ? 0 : cumulative[bucket - 1];
    const estimate =
      bucket === bounds.length
        ? lowerEdge(bucket) // open bucket: its lower edge, as Prometheus
        : lowerEdge(bucket) +
          ((upperEdge(bucket) - lowerEdge(bucket)) * (rank - before)) /
            counts[bucket];
    return {
      p,
      estimate,
      lower: lowerK >= 1 ? lowerEdge(bucketOf(lowerK)) : 0,
      upper: upperK <= n ? upperEdge(bucketOf(upperK)) : Infinity,
    };
  });
}
