import { StatisticsInputError } from './errors';
import { normalCdf, normalIsf, normalSf } from './normal';
import {
  assertBinomial,
  assertClosedUnit,
  assertFinite,
  assertOpenUnit,
  assertPositive,
} from './validate';

/**
 * Alternatives of the proportion tests, in statsmodels' words: `larger` means p1 - p2 > value.
 *
 * @public
 */
export type ProportionAlternative = 'two-sided' | 'larger' | 'smaller';

/** @public */
export interface ZTestResult {
  /** The standardised statistic. */
  z: number;
  pValue: number;
}

function pValueFor(z: number, alternative: ProportionAlternative): number {
  if (alternative === 'larger') return normalSf(z);
  if (alternative === 'smaller') return normalCdf(z);
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/**
 * Two-proportion z-test of p1 = p2 with the pooled standard error (statsmodels
 * `proportions_ztest`). The pooled error is right for testing equality only, not for intervals
 * or margins. When both arms are all failures or all successes there is no evidence: z = 0, p = 1.
 *
 * @public
 */
export function twoProportionZTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alternative: ProportionAlternative = 'two-sided',
): ZTestResult {
  assertBinomial('arm 1', x1, n1);
  assertBinomial('arm 2', x2, n2);
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, pValue: pValueFor(z, alternative) };
}

/**
 * Wilson score interval for a proportion (no continuity correction), at confidence 1 - alpha.
 *
 * @public
 */
export function wilsonInterval(
  x: number,
  n: number,
  alpha = 0.05,
): [number, number] {
  assertBinomial('proportion', x, n);
  assertOpenUnit('alpha', alpha);
  const p = x / n;
  const z = normalIsf(alpha / 2);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth =
    (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, centre - halfWidth), Math.min(1, centre + halfWidth)];
}

/**
 * Newcombe's hybrid score interval for p1 - p2 (his method 10), built from the two Wilson
 * intervals; good coverage even with zero counts.
 *
 * @public
 */
export function newcombeInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alpha = 0.05,
): [number, number] {
  const [l1, u1] = wilsonInterval(x1, n1, alpha);
  const [l2, u2] = wilsonInterval(x2, n2, alpha);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return [
    d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
  ];
}

/**
 * One-sided non-inferiority test for two proportions: H0 p1 - p2 >= margin against
 * H1 p1 - p2 < margin (statsmodels `test_proportions_2indep(..., value=margin, compare='diff',
 * alternative='smaller')`). With p1 the canary's error rate, a small p-value shows the canary is
 * not worse than the baseline by the margin or more. `wald` uses the unpooled standard error;
 * `score` the restricted maximum-likelihood estimate under p1 - p2 = margin (Miettinen and
 * Nurminen, with their n/(n-1) variance correction).
 *
 * @public
 */
export function twoProportionNonInferiorityTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  margin: number,
  method: 'wald' | 'score' = 'score',
): ZTestResult {
  assertBinomial('arm 1', x1, n1);
  assertBinomial('arm 2', x2, n2);
  assertFinite('margin', margin);
  if (Math.abs(margin) >= 1) {
    throw new StatisticsInputError(
      `margin must be within (-1, 1), got ${margin}`,
    );
  }
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  let variance: number;
  if (method === 'wald') {
    variance = (p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2;
  } else {
    const [r1, r2] = restrictedProportions(x1, n1, x2, n2, margin);
    const n = n1 + n2;
    variance = ((r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2) * (n / (n - 1));
  }
  const difference = p1 - p2 - margin;
  if (variance === 0) {
    // Only possible with a zero margin and identical degenerate arms: nothing to conclude.
    return { z: 0, pValue: difference < 0 ? 0 : 1 };
  }
  const z = difference / Math.sqrt(variance);
  return { z, pValue: normalCdf(z) };
}

/**
 * Maximum-likelihood (p1, p2) under p1 - p2 = delta: the closed-form root of Farrington and
 * Manning's cubic, as statsmodels writes it (index 0 is arm 2).
 */
function restrictedProportions(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  delta: number,
): [number, number] {
  const n = n1 + n2;
  const x = x1 + x2;
  if (delta === 0) return [x / n, x / n];
  const c3 = n;
  const c2 = (n1 + 2 * n2) * delta - n - x;
  const c1 = (x2 * delta - n - 2 * x2) * delta + x;
  const c0 = x2 * delta * (1 - delta);
  const q = (c2 / (3 * c3)) ** 3 - (c1 * c2) / (6 * c3 * c3) + c0 / (2 * c3);
  const p = Math.sign(q) * Math.sqrt((c2 / (3 * c3)) ** 2 - c1 / (3 * c3));
  const a = (Math.PI + Math.acos(Math.max(-1, Math.min(1, q / p ** 3)))) / 3;
  const r2 = 2 * p * Math.cos(a) - c2 / (3 * c3);
  return [r2 + delta, r2];
}

/**
 * Cohen's effect size h = 2 asin(sqrt p1) - 2 asin(sqrt p2) for two proportions.
 *
 * @public
 */
export function cohensH(p1: number, p2: number): number {
  assertClosedUnit('p1', p1);
  assertClosedUnit('p2', p2);
  return 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
}

/**
 * Power of the two-sided two-proportion z-test with n per group, by the arcsine approximation
 * (statsmodels `NormalIndPower` with Cohen's h, including the small opposite-tail term).
 *
 * @public
 */
export function twoProportionPower(
  p1: number,
  p2: number,
  nPerGroup: number,
  alpha = 0.05,
): number {
  assertPositive('nPerGroup', nPerGroup);
  assertOpenUnit('alpha', alpha);
  return powerForH(Math.abs(cohensH(p1, p2)), nPerGroup, alpha);
}

function powerForH(h: number, nPerGroup: number, alpha: number): number {
  const crit = normalIsf(alpha / 2);
  const shift = h * Math.sqrt(nPerGroup / 2);
  return normalSf(crit - shift) + normalCdf(-crit - shift);
}

/** @public */
export interface SampleSizeOptions {
  /** Two-sided significance level, default 0.05. */
  alpha?: number;
  /** Default 0.8. */
  power?: number;
  /**
   * `arcsine` solves the power of the arcsine approximation exactly (statsmodels `solve_power`);
   * `classical` is Fleiss' closed form without continuity correction. Default `arcsine`.
   */
  method?: 'arcsine' | 'classical';
}

/**
 * Observations per group for a fixed-horizon two-sided two-proportion test to detect p1 against
 * p2 (not rounded up). Error rate 1.0 % against 1.2 % needs about 42,600 per arm at 80 % power.
 *
 * @public
 */
export function twoProportionSampleSize(
  p1: number,
  p2: number,
  options: SampleSizeOptions = {},
): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  assertOpenUnit('alpha', alpha);
  assertOpenUnit('power', power);
  const h = Math.abs(cohensH(p1, p2));
  if (h === 0) {
    throw new StatisticsInputError(
      'p1 and p2 are equal: no sample size detects no difference',
    );
  }
  const zAlpha = normalIsf(alpha / 2);
  const zBeta = normalIsf(1 - power);
  if (options.method === 'classical') {
    const pBar = (p1 + p2) / 2;
    const term =
      zAlpha * Math.sqrt(2 * pBar * (1 - pBar)) +
      zBeta * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
    return (term * term) / ((p1 - p2) * (p1 - p2));
  }
  // Without the opposite tail the power equation has a closed form; it starts the bisection.
  const guess = (2 * (zAlpha + zBeta) ** 2) / (h * h);
  let lo = guess / 2;
  let hi = guess;
  while (powerForH(h, lo, alpha) > power) lo /= 2;
  while (powerForH(h, hi, alpha) < power) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (powerForH(h, mid, alpha) < power) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
