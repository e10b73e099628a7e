import { StatisticsInputError } from './errors';
import { logGamma } from './normal';
import { assertCount, assertOpenUnit, assertPositive } from './validate';

/**
 * Sequential tests on counts (Lindon and Malek, "Anytime-valid inference for multinomial count
 * data", NeurIPS 2022). Events of a Poisson process split between categories (arms); given an
 * event, it falls in category i with probability theta_i. A Dirichlet(a) mixture over theta gives
 * the Bayes factor against a fixed theta0, and p_t = min over looks of 1/BF_t is always valid.
 * A common, time-varying intensity cancels out (daily traffic cycles), which suits canaries, and
 * the same test checks a traffic split (sample-ratio mismatch).
 */

function assertCategories(counts: number[], theta0: number[], prior: number[]) {
  if (
    counts.length < 2 ||
    counts.length !== theta0.length ||
    counts.length !== prior.length
  ) {
    throw new StatisticsInputError(
      'counts, theta0 and prior need the same number (>= 2) of categories',
    );
  }
  counts.forEach((c, i) => assertCount(`counts[${i}]`, c));
  prior.forEach((a, i) => assertPositive(`prior[${i}]`, a));
  let sum = 0;
  theta0.forEach((t, i) => {
    assertPositive(`theta0[${i}]`, t);
    sum += t;
  });
  if (Math.abs(sum - 1) > 1e-9) {
    throw new StatisticsInputError(`theta0 must sum to 1, sums to ${sum}`);
  }
}

/** ln of the Dirichlet-multinomial marginal likelihood, without the multinomial coefficient. */
function logMarginal(counts: number[], prior: number[]): number {
  let withData = 0;
  let priorOnly = 0;
  let total = 0;
  let priorTotal = 0;
  for (let i = 0; i < counts.length; i++) {
    withData += logGamma(prior[i] + counts[i]);
    priorOnly += logGamma(prior[i]);
    total += prior[i] + counts[i];
    priorTotal += prior[i];
  }
  return withData - logGamma(total) - (priorOnly - logGamma(priorTotal));
}

/**
 * ln of the Dirichlet-multinomial Bayes factor of cumulative `counts` against the category
 * probabilities `theta0`, with Dirichlet parameters `prior`.
 *
 * @public
 */
export function dirichletMultinomialLogBayesFactor(
  counts: number[],
  theta0: number[],
  prior: number[],
): number {
  assertCategories(counts, theta0, prior);
  let logLikelihood = 0;
  for (let i = 0; i < counts.length; i++) {
    logLikelihood += counts[i] * Math.log(theta0[i]);
  }
  return logMarginal(counts, prior) - logLikelihood;
}

/** Running state of a sequential count test; plain JSON. @public */
export interface SequentialTestState {
  looks: number;
  /** Running minimum of 1/BF. */
  pValue: number;
}

/** @public */
export interface CountTestLook {
  logBayesFactor: number;
  pValue: number;
  state: SequentialTestState;
}

/**
 * One look of the Dirichlet-multinomial sequential test on cumulative counts.
 *
 * @public
 */
export function dirichletMultinomialStep(
  previous: SequentialTestState | undefined,
  counts: number[],
  theta0: number[],
  prior: number[],
): CountTestLook {
  const logBayesFactor = dirichletMultinomialLogBayesFactor(
    counts,
    theta0,
    prior,
  );
  const pValue = Math.min(previous?.pValue ?? 1, Math.exp(-logBayesFactor));
  return {
    logBayesFactor,
    pValue,
    state: { looks: (previous?.looks ?? 0) + 1, pValue },
  };
}

/** @public */
export interface SampleRatioOptions {
  /** Significance level for `mismatch`; default 0.001 (a broken split is rare and costly to miss only a little). */
  alpha?: number;
  /**
   * Dirichlet concentration: prior = concentration * expected shares. Large values look for
   * small imbalances; default 10000.
   */
  concentration?: number;
}

/** @public */
export interface SampleRatioLook extends CountTestLook {
  /** Observed share of each arm. */
  observedShares: number[];
  /** The always-valid p-value reached alpha: the traffic is not split as configured. */
  mismatch: boolean;
}

/**
 * Sample-ratio mismatch check: are cumulative request counts per arm consistent with the
 * configured split? A mismatch means the comparison itself is biased (the router, a crash loop,
 * a filter), whatever the metrics say.
 *
 * @public
 */
export function sampleRatioMismatchStep(
  previous: SequentialTestState | undefined,
  counts: number[],
  expectedShares: number[],
  options: SampleRatioOptions = {},
): SampleRatioLook {
  const alpha = options.alpha ?? 0.001;
  const concentration = options.concentration ?? 10000;
  assertOpenUnit('alpha', alpha);
  assertPositive('concentration', concentration);
  const look = dirichletMultinomialStep(
    previous,
    counts,
    expectedShares,
    expectedShares.map(s => s * concentration),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  return {
    ...look,
    observedShares: counts.map(c => (total > 0 ? c / total : 0)),
    mismatch: look.pValue <= alpha,
  };
}

/** Events and exposure of one arm: exposure is whatever the rate is per (requests, seconds x traffic share). @public */
export interface EventCounts {
  events: number;
  exposure: number;
}

/** @public */
export interface RateRatioOptions {
  alpha: number;
  /**
   * Concentration c of the Beta(c rho_c, c rho_b) mixture over theta, the probability that an
   * event is the canary's, where rho are the exposure shares.
   */
  concentration: number;
}

/** @public */
export interface RateRatioLook {
  /** Canary rate / baseline rate: Infinity when only the canary has events, 1 when neither has. */
  rateRatio: number;
  /** ln BF against equal rates. */
  logBayesFactor: number;
  /** 1/BF against equal rates at this look (not yet minimised over looks). */
  pValueAtLook: number;
  /** Confidence interval for the rate ratio at this look: [0, Infinity) before any event. */
  lower: number;
  upper: number;
}

/**
 * Poisson rate comparison of a canary against a baseline with different exposures, as a
 * two-category Dirichlet-multinomial test: given an event, it is the canary's with probability
 * theta = rho_c r / (rho_b + rho_c r), r the rate ratio and rho the exposure shares. The interval
 * inverts the same Bayes factor: all r whose BF stays below 1/alpha (valid for a fixed mixture,
 * whichever r is true). The exposure shares are taken from the cumulative exposures, so they should
 * be stable within a stage.
 *
 * @public
 */
export function poissonRateRatio(
  canary: EventCounts,
  baseline: EventCounts,
  options: RateRatioOptions,
): RateRatioLook {
  assertCount('canary events', canary.events);
  assertCount('baseline events', baseline.events);
  assertPositive('canary exposure', canary.exposure);
  assertPositive('baseline exposure', baseline.exposure);
  assertOpenUnit('alpha', options.alpha);
  assertPositive('concentration', options.concentration);
  const nc = canary.events;
  const nb = baseline.events;
  const rhoC = canary.exposure / (canary.exposure + baseline.exposure);
  const rhoB = 1 - rhoC;
  const prior = [options.concentration * rhoC, options.concentration * rhoB];
  const logMarginalLikelihood = logMarginal([nc, nb], prior);
  const logBayesFactor =
    logMarginalLikelihood - nc * Math.log(rhoC) - nb * Math.log(rhoB);
  // In u = logit(theta): ln theta = -softplus(-u), ln(1 - theta) = -softplus(u).
  const excess = (u: number) =>
    logMarginalLikelihood +
    nc * softplus(-u) +
    nb * softplus(u) -
    Math.log(1 / options.alpha);
  const uHat = likelihoodPeak(nc, nb);
  const offset = Math.log(rhoC / rhoB); // u = offset + ln r
  const lowerU = nc === 0 ? -Infinity : boundary(excess, uHat, -1);
  const upperU = nb === 0 ? Infinity : boundary(excess, uHat, 1);
  return {
    rateRatio: rateRatioOf(canary, baseline),
    logBayesFactor,
    pValueAtLook: Math.min(1, Math.exp(-logBayesFactor)),
    lower: Math.exp(lowerU - offset),
    upper: Math.exp(upperU - offset),
  };
}

/** logit(theta) where the likelihood peaks; far out (but finite) when an arm has no events. */
function likelihoodPeak(nc: number, nb: number): number {
  if (nc > 0 && nb > 0) return Math.log(nc / nb);
  if (nc > 0) return 40;
  if (nb > 0) return -40;
  return 0;
}

function rateRatioOf(canary: EventCounts, baseline: EventCounts): number {
  if (baseline.events === 0) return canary.events === 0 ? 1 : Infinity;
  return (
    canary.events / canary.exposure / (baseline.events / baseline.exposure)
  );
}

function softplus(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}

/**
 * Root of the convex `excess` on one side of its minimum near `start` (negative there): expand
 * the bracket by doubling, then bisect to double precision.
 */
function boundary(
  excess: (u: number) => number,
  start: number,
  direction: 1 | -1,
): number {
  let inside = start;
  let step = 1;
  let outside = start + direction * step;
  while (excess(outside) < 0) {
    inside = outside;
    step *= 2;
    outside = start + direction * step;
  }
  for (let i = 0; i < 200; i++) {
    const mid = (inside + outside) / 2;
    if (mid === inside || mid === outside) break;
    if (excess(mid) < 0) inside = mid;
    else outside = mid;
  }
  return (inside + outside) / 2;
}
