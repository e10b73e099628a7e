import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';

/**
 * Numbers in the units the backend reports them: rates are fractions (0.012 = 1.2 %), latencies
 * seconds, requests and errors counts. Verdicts say their unit (`unit`) and whether their
 * comparisons are relative changes (`scale`); series are known by their metric's name.
 */

const NONE = '–';

/** Three significant digits without trailing zeros: 0.004512 -> `0.00451`, 12345 -> `12,300`. */
function significant(value: number, digits = 3): string {
  return Number(value.toPrecision(digits)).toLocaleString('en', {
    maximumFractionDigits: 20,
  });
}

function signOf(value: number): string {
  return value > 0 ? '+' : '';
}

/** A duration in seconds at a readable scale: 0.3534 -> `353 ms`, 0.00425 -> `4.25 ms`, 1.5 -> `1.5 s`. */
export function formatSeconds(seconds: number): string {
  if (Math.abs(seconds) >= 1) return `${significant(seconds)} s`;
  return `${significant(seconds * 1000)} ms`;
}

/** A fraction as a percentage: 0.0123 -> `1.23 %`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)} %`;
}

/** A relative change with its sign: 0.123 -> `+12.3 %`, -0.04 -> `-4.0 %`. */
export function formatChange(change: number): string {
  return `${signOf(change)}${(change * 100).toFixed(1)} %`;
}

/** The unit of a series of `GET /rollouts/:id/analysis`, from its metric's name. */
export function seriesUnit(metric: string): string | undefined {
  if (metric === 'error-rate') return 'fraction';
  if (metric.startsWith('latency')) return 's';
  if (metric === 'requests' || metric === 'errors') return 'count';
  return undefined;
}

/**
 * A value in its unit: `fraction` as a percentage, `s` (and `ms`) as milliseconds or seconds,
 * `count` as a whole number, another (gauge) unit after the number; a missing value as a dash.
 */
export function formatValue(
  value: number | null | undefined,
  unit?: string,
): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return NONE;
  }
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  switch (unit) {
    case 'fraction':
      return formatPercent(value);
    case 's':
      return formatSeconds(value);
    case 'ms':
      return formatSeconds(value / 1000);
    case 'count':
      return Math.round(value).toLocaleString('en');
    case undefined:
    case '':
      return significant(value, 4);
    default:
      return `${significant(value)} ${unit}`;
  }
}

/**
 * A difference between canary and baseline in the values' unit, with its sign: fractions in
 * percentage points (0.0256 -> `+2.56 pts`), seconds in milliseconds.
 */
export function formatDifference(value: number, unit?: string): string {
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '-∞';
  if (unit === 'fraction')
    return `${signOf(value)}${(value * 100).toFixed(2)} pts`;
  return `${signOf(value)}${formatValue(value, unit)}`;
}

/** A series value, in the unit its metric's name implies. */
export function formatSeriesValue(
  metric: string,
  value: number | null | undefined,
): string {
  return formatValue(value, seriesUnit(metric));
}

/** The verdict's unit; verdicts stored before units were reported get their metric's usual one. */
export function verdictUnit(verdict: MetricVerdict): string | undefined {
  return verdict.unit ?? seriesUnit(verdict.metric);
}

/**
 * Rules whose estimate is the canary's value minus the baseline's (not the canary's value): the
 * judge's comparisons of proportions, and a threshold rule of rollouts stored before the judge
 * was the one decision path. A distribution's verdict says so by its `tail`.
 */
const DIFFERENCE_RULES = [
  'msprt',
  'msprt-restarted',
  'success.maxErrorRateIncrease',
];

/**
 * Rules that hold the canary against a hard ceiling: its error rate (`max-rate`), its error rate
 * as a multiple of the baseline's (`max-ratio`), or the share of its observations beyond a
 * distribution's ceiling (`max-quantile`). They only ever fail, and roll back (or pause).
 */
const CEILING_RULES = ['max-rate', 'max-ratio', 'max-quantile'];

/** The verdict holds the canary against a hard ceiling rather than comparing it within a margin. */
export function isCeiling(verdict: MetricVerdict): boolean {
  return CEILING_RULES.includes(verdict.rule);
}

/**
 * How a verdict's estimate, interval, threshold and rollback threshold read: relative changes,
 * multiples of the baseline's value (`max-ratio`, whose numbers are relative changes: 1 = 2x),
 * absolute differences between the arms (e.g. of the shares of requests beyond a latency
 * threshold, for a verdict with `tail`), or plain values held against a limit.
 */
export function verdictScale(
  verdict: MetricVerdict,
): 'relative' | 'ratio' | 'difference' | 'value' {
  if (verdict.rule === 'max-ratio') return 'ratio';
  if (verdict.scale === 'relative') return 'relative';
  if (verdict.tail) return 'difference';
  return DIFFERENCE_RULES.includes(verdict.rule) ? 'difference' : 'value';
}

/**
 * What a verdict's `threshold` is: the non-inferiority `margin` of a comparison, the `limit` of a
 * ceiling or of a plain value, or the `expected` share of the traffic split check.
 */
export function thresholdName(
  verdict: MetricVerdict,
): 'margin' | 'limit' | 'expected' {
  if (verdict.rule === 'srm') return 'expected';
  if (isCeiling(verdict)) return 'limit';
  return verdictScale(verdict) === 'value' ? 'limit' : 'margin';
}

/** A confidence level as a percentage: 0.98125 -> `98.1 %`, as the judge's sentences quote it. */
export function formatConfidence(level: number): string {
  return `${Number((level * 100).toPrecision(3))} %`;
}

/**
 * What a distribution verdict (with `tail`) compared, in words and in its units, baseline first:
 * the watched quantile of both arms (`p95 180 ms → 310 ms`) and the shares of their observations
 * beyond the threshold (`slower than 250 ms: 2.90 % → 21.00 %`). Undefined for other verdicts.
 */
export function describeTail(
  verdict: MetricVerdict,
): { quantiles: string; shares: string } | undefined {
  const { tail } = verdict;
  if (!tail) return undefined;
  const unit = tail.unit ?? seriesUnit(verdict.metric);
  const name = `p${Number((tail.p * 100).toPrecision(4))}`;
  let beyond = unit === 's' || unit === 'ms' ? 'slower than' : 'above';
  if (tail.direction === 'at-or-below') beyond = 'at or below';
  return {
    quantiles: `${name} ${formatValue(
      tail.baselineQuantile,
      unit,
    )} → ${formatValue(tail.canaryQuantile, unit)}`,
    shares: `${beyond} ${formatValue(tail.threshold, unit)}: ${formatValue(
      verdict.baseline,
      'fraction',
    )} → ${formatValue(verdict.canary, 'fraction')}`,
  };
}

/** A verdict's baseline or canary value, in the verdict's unit. */
export function formatVerdictValue(
  verdict: MetricVerdict,
  value: number | undefined,
): string {
  return formatValue(value, verdictUnit(verdict));
}

/** A verdict's estimate, interval bound, threshold or rollback threshold, on the verdict's scale. */
export function formatVerdictMeasure(
  verdict: MetricVerdict,
  value: number | null | undefined,
): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return NONE;
  }
  switch (verdictScale(verdict)) {
    case 'relative':
      return Number.isFinite(value)
        ? formatChange(value)
        : formatDifference(value);
    case 'ratio':
      // A multiple of the baseline's value; it cannot be below zero.
      if (Number.isFinite(value)) {
        return `${significant(Math.max(0, 1 + value))}x`;
      }
      return value > 0 ? '∞' : '0x';
    case 'difference':
      return formatDifference(value, verdictUnit(verdict));
    default:
      return formatValue(value, verdictUnit(verdict));
  }
}

/**
 * A verdict's interval as `[lower, upper]`; a bound the API sent as null (no evidence on that
 * side yet) is unbounded.
 */
export function formatVerdictInterval(
  verdict: MetricVerdict,
  interval:
    | readonly [number | null, number | null]
    | undefined = verdict.interval,
): string | undefined {
  if (!interval) return undefined;
  const [lower, upper] = interval;
  return `[${formatVerdictMeasure(
    verdict,
    lower ?? -Infinity,
  )}, ${formatVerdictMeasure(verdict, upper ?? Infinity)}]`;
}

/** A p-value with sensible precision, e.g. `0.041`, `< 0.001`. */
export function formatPValue(pValue: number | undefined): string {
  if (pValue === undefined || pValue === null) return NONE;
  return pValue < 0.001 ? '< 0.001' : pValue.toFixed(3);
}
