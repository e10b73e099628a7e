import { normalLogCdf } from './normal';
import {
  assertBinomial,
  assertFinite,
  assertOpenUnit,
  assertPositive,
} from './validate';

/**
 * Mixture sequential probability ratio tests with a normal mixing distribution (Johari, Koomen,
 * Pekelis, Walsh: "Always valid inference", 2017/2022). For an estimate thetaHat of a difference
 * theta with variance V, testing theta = theta0 against the mixture N(theta0, tau2):
 *
 *   log L = 0.5 ln(V / (V + tau2)) + tau2 (thetaHat - theta0)^2 / (2 V (V + tau2))
 *
 * 1/L, minimised over the looks, is a p-value that stays valid however often it is checked, and
 * inverting the test gives a confidence sequence. With a plug-in variance the guarantee is
 * asymptotic: weak for rare events in small samples.
 */

/** An estimate of a difference and its variance at one look. @public */
export interface DifferenceEstimate {
  thetaHat: number;
  variance: number;
}

function assertEstimate(thetaHat: number, variance: number, tau2: number) {
  assertFinite('thetaHat', thetaHat);
  assertPositive('variance', variance);
  assertPositive('tau2', tau2);
}

/**
 * Log likelihood ratio of the two-sided normal-mixture mSPRT.
 *
 * @public
 */
export function msprtLogLikelihoodRatio(
  thetaHat: number,
  variance: number,
  tau2: number,
  theta0 = 0,
): number {
  assertEstimate(thetaHat, variance, tau2);
  assertFinite('theta0', theta0);
  const d = thetaHat - theta0;
  const total = variance + tau2;
  return (
    0.5 * Math.log(variance / total) + (tau2 * d * d) / (2 * variance * total)
  );
}

/**
 * Log likelihood ratio of the one-sided mSPRT for theta > theta0 (harm in one direction), with the
 * half-normal mixture 2 N(theta0, tau2) on theta > theta0:
 * ln 2 + 0.5 ln(V/(V+tau2)) + tau2 d^2/(2V(V+tau2)) + ln Phi(d tau / sqrt(V(V+tau2))), d = thetaHat - theta0.
 * Valid for the composite null theta <= theta0.
 *
 * @public
 */
export function msprtOneSidedLogLikelihoodRatio(
  thetaHat: number,
  variance: number,
  tau2: number,
  theta0 = 0,
): number {
  assertEstimate(thetaHat, variance, tau2);
  assertFinite('theta0', theta0);
  const d = thetaHat - theta0;
  const total = variance + tau2;
  return (
    Math.LN2 +
    0.5 * Math.log(variance / total) +
    (tau2 * d * d) / (2 * variance * total) +
    normalLogCdf((d * Math.sqrt(tau2)) / Math.sqrt(variance * total))
  );
}

/**
 * Half-width of the confidence sequence at one look: the set of theta0 whose two-sided mSPRT
 * has not rejected at level alpha,
 * sqrt(V (V + tau2) / tau2 * (2 ln(1/alpha) - ln(V / (V + tau2)))).
 *
 * @public
 */
export function msprtHalfWidth(
  variance: number,
  tau2: number,
  alpha: number,
): number {
  assertPositive('variance', variance);
  assertPositive('tau2', tau2);
  assertOpenUnit('alpha', alpha);
  const total = variance + tau2;
  return Math.sqrt(
    ((variance * total) / tau2) *
      (2 * Math.log(1 / alpha) - Math.log(variance / total)),
  );
}

/**
 * Mixing variance that makes the boundary tightest near nOpt units (Howard et al. 2021):
 * tau2 = sigma2 (2 ln(1/alpha) + ln(1 + 2 ln(1/alpha))) / nOpt, where sigma2 is the variance of the
 * difference per unit (V = sigma2 / n; for two arms of n each, sigma2 = var(A) + var(B)).
 *
 * @public
 */
export function msprtTau2ForSampleSize(
  sigma2: number,
  nOpt: number,
  alpha: number,
): number {
  assertPositive('sigma2', sigma2);
  assertPositive('nOpt', nOpt);
  assertOpenUnit('alpha', alpha);
  const l = 2 * Math.log(1 / alpha);
  return (sigma2 * (l + Math.log(1 + l))) / nOpt;
}

/**
 * Mixing variance tuned to a margin: the tau2 of msprtTau2ForSampleSize for the variance at which
 * the confidence sequence's half-width equals the margin. Needs no base rate or traffic, and puts
 * the test's best sensitivity where the non-inferiority decision is made.
 *
 * @public
 */
export function msprtTau2ForMargin(margin: number, alpha: number): number {
  assertPositive('margin', margin);
  assertOpenUnit('alpha', alpha);
  const l = 2 * Math.log(1 / alpha);
  const k = l + Math.log(1 + l); // tau2 = k * V at the tuned sample size
  // Half-width^2 at V with tau2 = k V is V (1 + k) / k (l + ln(1 + k)).
  const variance = (margin * margin * k) / ((1 + k) * (l + Math.log(1 + k)));
  return k * variance;
}

/**
 * The paired form of Johari et al. (as in the R package mixtureSPRT): n pairs with differences
 * of standard deviation sigma and mean zBar, mixture N(0, tau^2). Equals the general form with
 * V = 2 sigma^2 / n. Returns the likelihood ratio itself.
 *
 * @public
 */
export function msprtPairedLikelihoodRatio(
  sigma: number,
  tau: number,
  n: number,
  zBar: number,
): number {
  assertPositive('sigma', sigma);
  assertPositive('tau', tau);
  assertPositive('n', n);
  return Math.exp(
    msprtLogLikelihoodRatio(zBar, (2 * sigma * sigma) / n, tau * tau),
  );
}

/**
 * The difference pB - pA of two proportions and its unpooled (plug-in) variance
 * pA(1-pA)/nA + pB(1-pB)/nB.
 *
 * @public
 */
export function bernoulliDifference(
  nA: number,
  xA: number,
  nB: number,
  xB: number,
): DifferenceEstimate {
  assertBinomial('arm A', xA, nA);
  assertBinomial('arm B', xB, nB);
  const pA = xA / nA;
  const pB = xB / nB;
  return {
    thetaHat: pB - pA,
    variance: (pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB,
  };
}

/**
 * The difference meanB - meanA of two means with known per-observation variance sigma2.
 *
 * @public
 */
export function gaussianDifference(
  nA: number,
  meanA: number,
  nB: number,
  meanB: number,
  sigma2: number,
): DifferenceEstimate {
  assertPositive('nA', nA);
  assertPositive('nB', nB);
  assertFinite('meanA', meanA);
  assertFinite('meanB', meanB);
  assertPositive('sigma2', sigma2);
  return { thetaHat: meanB - meanA, variance: sigma2 * (1 / nA + 1 / nB) };
}

/** Running values of an mSPRT across looks; plain JSON. @public */
export interface MsprtState {
  looks: number;
  /** Running minimum of 1/L: the always-valid p-value. */
  pValue: number;
  /** Running intersection of the confidence sequence. */
  lower: number;
  upper: number;
}

/** @public */
export interface MsprtOptions {
  tau2: number;
  alpha: number;
  /** The null value of the difference; default 0. */
  theta0?: number;
}

/** @public */
export interface MsprtLook extends DifferenceEstimate {
  logLikelihoodRatio: number;
  /** Always-valid p-value after this look (running minimum). */
  pValue: number;
  /** True once the p-value has reached alpha. */
  reject: boolean;
  /** This look's confidence interval, before intersecting with earlier looks. */
  lower: number;
  upper: number;
  state: MsprtState;
}

/**
 * One look of a two-sided mSPRT: the new estimate updates the running p-value and the running
 * intersection of the confidence sequence carried in `previous` (undefined at the first look).
 * An empty intersection (the estimate left the sequence, a sign that the model is wrong) keeps the
 * last non-empty one collapsed to the nearest bound rather than becoming inverted.
 *
 * @public
 */
export function msprtStep(
  previous: MsprtState | undefined,
  estimate: DifferenceEstimate,
  options: MsprtOptions,
): MsprtLook {
  const { tau2, alpha } = options;
  const theta0 = options.theta0 ?? 0;
  const { thetaHat, variance } = estimate;
  const logLikelihoodRatio = msprtLogLikelihoodRatio(
    thetaHat,
    variance,
    tau2,
    theta0,
  );
  const halfWidth = msprtHalfWidth(variance, tau2, alpha);
  const lower = thetaHat - halfWidth;
  const upper = thetaHat + halfWidth;
  const pValue = Math.min(previous?.pValue ?? 1, Math.exp(-logLikelihoodRatio));
  const [runningLower, runningUpper] = intersect(
    previous ? [previous.lower, previous.upper] : undefined,
    [lower, upper],
  );
  return {
    thetaHat,
    variance,
    logLikelihoodRatio,
    pValue,
    reject: pValue <= alpha,
    lower,
    upper,
    state: {
      looks: (previous?.looks ?? 0) + 1,
      pValue,
      lower: runningLower,
      upper: runningUpper,
    },
  };
}

/** Runs msprtStep over a sequence of looks. @public */
export function msprtSequence(
  estimates: DifferenceEstimate[],
  options: MsprtOptions,
): MsprtLook[] {
  let state: MsprtState | undefined;
  return estimates.map(estimate => {
    const look = msprtStep(state, estimate, options);
    state = look.state;
    return look;
  });
}

/** Intersection of two intervals; if they are disjoint, the point of `previous` nearest to `next`. */
export function intersect(
  previous: [number, number] | undefined,
  next: [number, number],
): [number, number] {
  if (!previous) return next;
  const lower = Math.max(previous[0], next[0]);
  const upper = Math.min(previous[1], next[1]);
  if (lower <= upper) return [lower, upper];
  if (next[1] < previous[0]) return [previous[0], previous[0]];
  return [previous[1], previous[1]];
}
