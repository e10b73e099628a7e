import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import gammaln from '@stdlib/math-base-special-gammaln';
import stdlibNormalLogCdf from '@stdlib/stats-base-dists-normal-logcdf';
import { assertClosedUnit, assertNotNaN } from './validate';

/**
 * Standard normal CDF, P(Z <= x). Computed as erfc(-x/sqrt2)/2, never as 1 - sf, so the lower tail
 * keeps full relative accuracy down to the underflow limit (normalCdf(-37.5) = 4.6e-308).
 *
 * @public
 */
export function normalCdf(x: number): number {
  assertNotNaN('x', x);
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** Standard normal survival function, P(Z > x), accurate in the upper tail. @public */
export function normalSf(x: number): number {
  assertNotNaN('x', x);
  return 0.5 * erfc(x * Math.SQRT1_2);
}

/** Natural log of the standard normal CDF, finite far below the underflow of normalCdf. @public */
export function normalLogCdf(x: number): number {
  assertNotNaN('x', x);
  return stdlibNormalLogCdf(x, 0, 1);
}

/** Natural log of the standard normal survival function. @public */
export function normalLogSf(x: number): number {
  assertNotNaN('x', x);
  return stdlibNormalLogCdf(-x, 0, 1);
}

/**
 * Standard normal quantile: the z with P(Z <= z) = p. Uses erfcinv of the smaller tail, so tiny
 * probabilities keep their accuracy (normalPpf(1e-300) = -37.047); 0 and 1 give -/+Infinity.
 *
 * @public
 */
export function normalPpf(p: number): number {
  assertClosedUnit('p', p);
  // 1 - p is exact for p >= 0.5, so each branch sees an exact tail probability.
  return p < 0.5
    ? -Math.SQRT2 * erfcinv(2 * p)
    : Math.SQRT2 * erfcinv(2 * (1 - p));
}

/** Upper-tail quantile: the z with P(Z > z) = q (not ppf(1 - q), which loses tiny q). @public */
export function normalIsf(q: number): number {
  return -normalPpf(q);
}

/** Natural log of the gamma function, for x > 0. @public */
export function logGamma(x: number): number {
  assertNotNaN('x', x);
  return gammaln(x);
}
