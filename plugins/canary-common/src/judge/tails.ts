import type { PreparedDistribution } from '../stats/quantileBands';
import { boundQuantiles } from '../stats/quantileBands';
import type { TailThreshold } from './types';

/**
 * How a distribution metric becomes proportions: for a watched quantile, the share of observations
 * beyond a threshold. A histogram gives that share exactly at a bucket boundary (a bucket holds
 * the values in (lower, upper]), so the threshold is the boundary nearest the baseline's quantile;
 * raw samples use the baseline's quantile itself.
 */

/** Observations on the bad side of `value`: above it, or at or below it when higher is better. */
export function countBeyond(
  data: PreparedDistribution,
  value: number,
  higherIsBetter: boolean,
): number {
  let atOrBelow = 0;
  if (data.kind === 'histogram') {
    // Thresholds and limits are boundaries of the histogram: index of the boundary `value`.
    const index = data.bounds.findIndex(bound => bound >= value);
    atOrBelow = index < 0 ? data.n : data.cumulative[index];
  } else {
    for (const v of data.values) if (v <= value) atOrBelow++;
  }
  return higherIsBetter ? atOrBelow : data.n - atOrBelow;
}

/**
 * The share of observations at or below `value`, interpolated linearly within a bucket as
 * Prometheus' histogram_quantile does (a value in the open last bucket counts none of it).
 */
function cdf(data: PreparedDistribution, value: number): number {
  if (data.kind === 'samples') {
    let below = 0;
    for (const v of data.values) if (v <= value) below++;
    return below / data.n;
  }
  const { bounds, counts, cumulative, n } = data;
  const bucket = bounds.findIndex(bound => bound >= value);
  if (bucket < 0) return cumulative[bounds.length - 1] / n;
  const before = bucket === 0 ? 0 : cumulative[bucket - 1];
  const lower = bucket === 0 ? 0 : bounds[bucket - 1];
  const inside = (counts[bucket] * (value - lower)) / (bounds[bucket] - lower);
  return (before + inside) / n;
}

/** The share of observations on the bad side of `value`. */
function shareBeyond(
  data: PreparedDistribution,
  value: number,
  higherIsBetter: boolean,
): number {
  const below = cdf(data, value);
  return higherIsBetter ? below : 1 - below;
}

/**
 * A relative change of the values (0.1 = 10 % worse) as a change of the share beyond `value`:
 * the baseline's share beyond value / (1 + m) (or value / (1 - m) when higher is better) minus its
 * share beyond value.
 */
function translate(
  baseline: PreparedDistribution,
  value: number,
  relative: number,
  higherIsBetter: boolean,
): number {
  const at = shareBeyond(baseline, value, higherIsBetter);
  if (higherIsBetter && relative >= 1) return 1 - at;
  const moved = higherIsBetter
    ? value / (1 - relative)
    : value / (1 + relative);
  return Math.max(0, shareBeyond(baseline, moved, higherIsBetter) - at);
}

/** The bad-side share a watched quantile leaves: 5 % above p95, or 5 % at or below p5. */
function targetShare(p: number, higherIsBetter: boolean): number {
  return higherIsBetter ? p : 1 - p;
}

/**
 * The histogram boundary whose bad-side share in the baseline is nearest the quantile's (in
 * log-odds), among those with baseline observations on both sides. When every observation sits in
 * one bucket, its edge on the bad side: a canary beyond it is then worse.
 */
function nearestBoundary(
  baseline: Extract<PreparedDistribution, { kind: 'histogram' }>,
  p: number,
  higherIsBetter: boolean,
): number {
  const logit = (x: number) => Math.log(x / (1 - x));
  const target = logit(targetShare(p, higherIsBetter));
  const shareAt = (bound: number) =>
    countBeyond(baseline, bound, higherIsBetter) / baseline.n;
  const informative = baseline.bounds.filter(bound => {
    const share = shareAt(bound);
    return share > 0 && share < 1;
  });
  if (informative.length > 0) {
    const distance = (bound: number) =>
      Math.abs(logit(shareAt(bound)) - target);
    return informative.reduce((best, bound) =>
      distance(bound) < distance(best) ? bound : best,
    );
  }
  const clear = baseline.bounds.filter(bound => shareAt(bound) === 0);
  if (clear.length === 0) {
    return higherIsBetter
      ? baseline.bounds[0]
      : baseline.bounds[baseline.bounds.length - 1];
  }
  return higherIsBetter ? clear[clear.length - 1] : clear[0];
}

/** The threshold of quantile `p`, chosen on the baseline alone so the comparison stays fair. */
export function chooseThreshold(
  baseline: PreparedDistribution,
  p: number,
  higherIsBetter: boolean,
  margin: number | undefined,
  rollbackMargin: number,
): TailThreshold {
  let value: number;
  if (baseline.kind === 'samples') {
    value = boundQuantiles(baseline, [{ p, epsilon: 0 }]).quantiles[0].estimate;
  } else {
    value = nearestBoundary(baseline, p, higherIsBetter);
  }
  return {
    p,
    value,
    ...(margin !== undefined && {
      margin: translate(baseline, value, margin, higherIsBetter),
    }),
    rollbackMargin:
      rollbackMargin > 0
        ? translate(baseline, value, rollbackMargin, higherIsBetter)
        : 0,
  };
}

/**
 * The histogram boundary at or above `limit` (a canary quantile shown above it is above the limit),
 * or the limit itself for raw samples; undefined when no boundary reaches the limit.
 */
export function limitBoundary(
  data: PreparedDistribution,
  limit: number,
): number | undefined {
  if (data.kind === 'samples') return limit;
  return data.bounds.find(bound => bound >= limit);
}

/** The interpolated quantile of one arm, for display. */
export function quantileEstimate(
  data: PreparedDistribution,
  p: number,
): number {
  return boundQuantiles(data, [{ p, epsilon: 0 }]).quantiles[0].estimate;
}
