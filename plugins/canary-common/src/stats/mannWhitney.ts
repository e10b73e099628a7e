import { StatisticsInputError } from './errors';
import { normalSf } from './normal';
import { sortedCopy } from './sort';
import { toFiniteSample } from './validate';

/**
 * Alternatives of the rank tests, in scipy's words: `greater` means x tends to be larger than y.
 *
 * @public
 */
export type RankAlternative = 'two-sided' | 'greater' | 'less';

/** @public */
export interface MannWhitneyOptions {
  /** Default `two-sided`. */
  alternative?: RankAlternative;
  /** Continuity correction of the normal approximation; default true (as scipy). */
  continuity?: boolean;
  /**
   * `exact` uses the exact null distribution of U, which assumes no ties (as scipy's does);
   * `asymptotic` the normal approximation with tie correction; `auto` (default) is exact when there
   * are no ties and n1 * n2 <= MANN_WHITNEY_AUTO_EXACT_MAX_PAIRS.
   */
  method?: 'auto' | 'exact' | 'asymptotic';
}

/** @public */
export interface MannWhitneyResult {
  /** U1 = R1 - n1(n1+1)/2 for x (scipy >= 1.7): the number of pairs with x > y, ties counting 1/2. */
  u1: number;
  u2: number;
  /** Sum of the ranks of x in the pooled sample (average ranks for ties). */
  rankSumX: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** Standardised statistic of the normal approximation (asymptotic method only). */
  z?: number;
  /** Standard deviation of U under H0, tie-corrected (asymptotic method only). */
  sdU?: number;
  /** sum(t^3 - t) over groups of tied values. */
  tieTerm: number;
  /** 2 U1 / (n1 n2) - 1: positive when x tends to be larger. */
  rankBiserial: number;
  /** Common-language effect size P(X > Y) + P(X = Y)/2 = U1 / (n1 n2). */
  cles: number;
  n1: number;
  n2: number;
}

/** Largest n1 * n2 for which `auto` picks the exact distribution. @public */
export const MANN_WHITNEY_AUTO_EXACT_MAX_PAIRS = 2500;
/** Largest n1 * n2 for which the exact null distribution is computed at all (time ~ (n1 n2)^2 / 4). @public */
export const MANN_WHITNEY_EXACT_MAX_PAIRS = 10000;

/**
 * Mann-Whitney U test (Wilcoxon rank-sum) of x against y, following scipy.stats.mannwhitneyu.
 * Both samples are sorted (radix sort for large ones) and ranks, rank sum and tie groups come
 * from a single merged pass, so 10^6 against 10^6 values takes a fraction of a second.
 *
 * It tests a stochastic shift: it does not see a change of spread or of the tail alone.
 *
 * @public
 */
export function mannWhitneyU(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const continuity = options.continuity ?? true;
  const requested = options.method ?? 'auto';
  const xs = sortedCopy(toFiniteSample('x', x));
  const ys = sortedCopy(toFiniteSample('y', y));
  const n1 = xs.length;
  const n2 = ys.length;
  const { rankSumX, tieTerm } = mergedRankSum(xs, ys);
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  // The statistic whose upper tail is evidence for the alternative.
  let u = u1;
  if (alternative === 'two-sided') u = Math.max(u1, u2);
  else if (alternative === 'less') u = u2;
  const method =
    requested === 'auto' ? autoMethod(tieTerm, n1 * n2) : requested;
  const effects = {
    u1,
    u2,
    rankSumX,
    tieTerm,
    rankBiserial: (2 * u1) / (n1 * n2) - 1,
    cles: u1 / (n1 * n2),
    n1,
    n2,
  };
  const twoSided = alternative === 'two-sided' ? 2 : 1;
  if (method === 'exact') {
    const pmf = mannWhitneyNullDistribution(n1, n2);
    // P(U >= floor(u)), as scipy (which truncates a tie-induced half).
    let tail = 0;
    for (let k = pmf.length - 1; k >= Math.floor(u); k--) tail += pmf[k];
    return {
      ...effects,
      method,
      pValue: Math.min(1, twoSided * tail),
    };
  }
  const n = n1 + n2;
  const sdU = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sdU === 0) {
    // Every value is the same: U sits at its mean, no evidence either way.
    return { ...effects, method, z: 0, sdU, pValue: 1 };
  }
  const z = (u - (n1 * n2) / 2 - (continuity ? 0.5 : 0)) / sdU;
  return {
    ...effects,
    method,
    z,
    sdU,
    pValue: Math.min(1, twoSided * normalSf(z)),
  };
}

function autoMethod(tieTerm: number, pairs: number): 'exact' | 'asymptotic' {
  return tieTerm === 0 && pairs <= MANN_WHITNEY_AUTO_EXACT_MAX_PAIRS
    ? 'exact'
    : 'asymptotic';
}

/** Rank sum of x in the pooled sample and the tie term sum(t^3 - t), from two sorted arrays. */
export function mergedRankSum(
  xs: Float64Array,
  ys: Float64Array,
): { rankSumX: number; tieTerm: number } {
  const n1 = xs.length;
  const n2 = ys.length;
  let i = 0;
  let j = 0;
  let before = 0;
  let rankSumX = 0;
  let tieTerm = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && xs[i] <= ys[j]) ? xs[i] : ys[j];
    const i0 = i;
    const j0 = j;
    while (i < n1 && xs[i] === v) i++;
    while (j < n2 && ys[j] === v) j++;
    const inX = i - i0;
    const t = inX + (j - j0);
    rankSumX += inX * (before + (t + 1) / 2);
    if (t > 1) tieTerm += (t - 1) * t * (t + 1);
    before += t;
  }
  return { rankSumX, tieTerm };
}

/**
 * Exact null distribution of U for samples of m and n values without ties: element u is
 * P(U = u), u = 0..m*n. Recursion on the largest observation: it belongs to x with probability
 * m/(m+n) and then beats all n values of y, so p(m,n,u) = m/(m+n) p(m-1,n,u-n) + n/(m+n) p(m,n-1,u).
 *
 * @public
 */
export function mannWhitneyNullDistribution(
  m: number,
  n: number,
): Float64Array {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new StatisticsInputError(
      `sample sizes must be positive integers, got ${m} and ${n}`,
    );
  }
  if (m * n > MANN_WHITNEY_EXACT_MAX_PAIRS) {
    throw new StatisticsInputError(
      `the exact distribution is limited to n1*n2 <= ${MANN_WHITNEY_EXACT_MAX_PAIRS} (got ${
        m * n
      }); use the asymptotic method`,
    );
  }
  // U(m, n) and U(n, m) have the same distribution: keep the smaller size inside (less memory).
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  // column[i] = distribution for (i, j) at the current j; starts at j = 0 where U = 0.
  let column: Float64Array[] = [];
  for (let i = 0; i <= small; i++) column.push(Float64Array.of(1));
  for (let j = 1; j <= large; j++) {
    const next: Float64Array[] = [Float64Array.of(1)];
    for (let i = 1; i <= small; i++) {
      const p = new Float64Array(i * j + 1);
      const fromI = next[i - 1]; // (i-1, j): the largest value is from the i-side, adds j
      const fromJ = column[i]; // (i, j-1): the largest value is from the j-side, adds 0
      const wi = i / (i + j);
      const wj = j / (i + j);
      for (let u = 0; u < fromJ.length; u++) p[u] = wj * fromJ[u];
      for (let u = 0; u < fromI.length; u++) p[u + j] += wi * fromI[u];
      next.push(p);
    }
    column = next;
  }
  return column[small];
}
