import { poissonRateRatio } from '../stats/countTest';
import { msprtHalfWidth, msprtLogLikelihoodRatio } from '../stats/msprt';
import type { RestartPoint, SeriesCounts, TrialCounts } from './types';

/**
 * Anytime-valid confidence sequences on the harm of a canary, over the whole stage and over
 * sequences restarted during it. Every metric kind reduces to counts out of totals per arm
 * (errors of requests, slow requests of requests, events of exposure), judged here.
 *
 * Why restarts: a confidence sequence over the whole stage is valid while the canary behaves the
 * same throughout. A canary that is good for a while and then regresses (a cache that expires, a
 * leak, a cron) is diluted by its good start. Sequences restarted at looks 2, 4, 8, 16, ... judge
 * only the data after their start, so the latest one sees a late regression almost alone. The
 * false-alarm budget of a comparison is split: three quarters for the whole stage (a regression
 * present from the start is the common case, and it keeps nearly all its power), and 1/(r(r+1))
 * of the last quarter for the r-th restart (the sum stays within the budget).
 */

/** A harm interval (positive = the canary is worse) at one confidence level. */
export interface HarmInterval {
  /** Point estimate of the harm. */
  estimate: number;
  lower: number;
  upper: number;
  /** Always-valid p-value against "no difference" at this look, when the test gives one. */
  pValue?: number;
}

/** Computes the harm interval of one series at level 1 - alpha. */
export type SeriesTest = (series: SeriesCounts, alpha: number) => HarmInterval;

/** A fail-side check: the whole stage (`start` 1) or a restarted sequence. */
export interface FailCheck {
  /** First look of the data judged (1 = the whole stage). */
  start: number;
  /** Significance level of this check. */
  alpha: number;
  interval: HarmInterval;
  series: SeriesCounts;
}

/**
 * The difference of two rates (canary minus baseline, times `sign`: -1 when higher is better),
 * with the normal-mixture mSPRT's confidence sequence; `tau2` is its mixing variance.
 *
 * Small counts: the estimate shrinks each arm towards the pooled rate with two pseudo-trials (so
 * small samples lean towards "no difference", not towards 50 % as Agresti-Caffo's pseudo-counts
 * would for the small arm), while the variance uses Agresti-Caffo's rates, (x + 1) / (n + 2), so
 * it stays honest with zero counts: 0 errors in 25 requests does not show a rate below 5 %.
 */
export function rateDifferenceTest(sign: 1 | -1, tau2: number): SeriesTest {
  return ({ canary, baseline }, alpha) => {
    const pooled =
      (canary.count + baseline.count + 1) / (canary.total + baseline.total + 2);
    const shrunk = (arm: TrialCounts) =>
      (arm.count + 2 * pooled) / (arm.total + 2);
    const spread = (arm: TrialCounts) => {
      const p = (arm.count + 1) / (arm.total + 2);
      return (p * (1 - p)) / (arm.total + 2);
    };
    const thetaHat = sign * (shrunk(canary) - shrunk(baseline));
    const variance = spread(canary) + spread(baseline);
    const halfWidth = msprtHalfWidth(variance, tau2, alpha);
    return {
      estimate: sign * (rateOf(canary) - rateOf(baseline)),
      lower: thetaHat - halfWidth,
      upper: thetaHat + halfWidth,
      pValue: Math.min(
        1,
        Math.exp(-msprtLogLikelihoodRatio(thetaHat, variance, tau2)),
      ),
    };
  };
}

/**
 * The canary's own rate above a fixed `limit` (harm = rate - limit), with a one-sample
 * normal-mixture confidence sequence (Jeffreys' half pseudo-counts keep the variance positive).
 */
export function rateAboveLimitTest(limit: number, tau2: number): SeriesTest {
  return ({ canary }, alpha) => {
    const n = canary.total + 1;
    const rate = (canary.count + 0.5) / n;
    const variance = (rate * (1 - rate)) / n;
    const halfWidth = msprtHalfWidth(variance, tau2, alpha);
    return {
      estimate: rateOf(canary) - limit,
      lower: rate - limit - halfWidth,
      upper: rate - limit + halfWidth,
    };
  };
}

/**
 * The ratio of two event rates as a relative harm (canary/baseline - 1, or 1 - canary/baseline
 * when higher is better), with the Poisson-process mixture test of Lindon & Malek: exact for
 * counts, and a common time-varying intensity cancels out. `concentration` tunes its mixture.
 */
export function rateRatioTest(
  higherIsBetter: boolean,
  concentration: number,
): SeriesTest {
  return ({ canary, baseline }, alpha) => {
    const result = poissonRateRatio(
      { events: canary.count, exposure: canary.total },
      { events: baseline.count, exposure: baseline.total },
      { alpha, concentration },
    );
    const ratio = Number.isFinite(result.rateRatio) ? result.rateRatio : NaN;
    return higherIsBetter
      ? {
          estimate: 1 - ratio,
          lower: 1 - result.upper,
          upper: 1 - result.lower,
          pValue: result.pValueAtLook,
        }
      : {
          estimate: ratio - 1,
          lower: result.lower - 1,
          upper: result.upper - 1,
          pValue: result.pValueAtLook,
        };
  };
}

function rateOf(arm: TrialCounts): number {
  return arm.total > 0 ? arm.count / arm.total : 0;
}

/** Counts after a restart: the cumulative counts minus those at its start. */
export function since(now: SeriesCounts, start: SeriesCounts): SeriesCounts {
  const minus = (a: TrialCounts, b: TrialCounts) => ({
    count: a.count - b.count,
    total: a.total - b.total,
  });
  return {
    canary: minus(now.canary, start.canary),
    baseline: minus(now.baseline, start.baseline),
  };
}

/** The share of a comparison's false-alarm budget for the whole stage; restarts share the rest. */
const WHOLE_STAGE_SHARE = 0.75;

/** The false-alarm level of the r-th restart (1-based) within a comparison's budget. */
export function restartAlpha(alpha: number, r: number): number {
  return (alpha * (1 - WHOLE_STAGE_SHARE)) / (r * (r + 1));
}

/**
 * The fail-side checks of series `index`: the whole stage at its share of the budget, and every
 * restarted sequence that has data on both arms.
 */
export function failChecks(
  test: SeriesTest,
  cumulative: SeriesCounts,
  restarts: RestartPoint[],
  index: number,
  alpha: number,
): FailCheck[] {
  const checks: FailCheck[] = [
    {
      start: 1,
      alpha: alpha * WHOLE_STAGE_SHARE,
      interval: test(cumulative, alpha * WHOLE_STAGE_SHARE),
      series: cumulative,
    },
  ];
  restarts.forEach((restart, i) => {
    const series = since(cumulative, restart.series[index]);
    if (series.canary.total <= 0 || series.baseline.total <= 0) return;
    const level = restartAlpha(alpha, i + 1);
    checks.push({
      start: restart.look,
      alpha: level,
      interval: test(series, level),
      series,
    });
  });
  return checks;
}

/**
 * The data of the restarted sequences long enough to be read (at least a quarter of the stage's
 * looks so far, and two looks), latest first: a promotion also needs none of these recent parts
 * to look worse than the margin, so a regression that began late in the stage holds it.
 */
export function recentParts(
  cumulative: SeriesCounts,
  restarts: RestartPoint[],
  index: number,
  look: number,
): Array<{ start: number; series: SeriesCounts }> {
  const minLooks = Math.max(2, look / 4);
  return restarts
    .filter(r => look - r.look + 1 >= minLooks)
    .reverse()
    .map(r => ({ start: r.look, series: since(cumulative, r.series[index]) }));
}

/** The restart points after look `look` (1-based): a new one starts at every power of two. */
export function nextRestarts(
  restarts: RestartPoint[],
  look: number,
  series: SeriesCounts[],
): RestartPoint[] {
  const next = look + 1;
  const isPowerOfTwo = (next & (next - 1)) === 0;
  return isPowerOfTwo ? [...restarts, { look: next, series }] : restarts;
}
