import type {
  DistributionMetricDefinition,
  ProportionMetricDefinition,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { formatChange, formatDifference } from '../../utils/units';
import type { ChartReference, Point } from './TimeSeriesChart';

/** The quantiles a distribution metric watches when its definition names none. */
const DEFAULT_QUANTILES = [0.5, 0.95];

/** The baseline's series mapped point by point, keeping its gaps. */
function following(baseline: Point[], map: (value: number) => number): Point[] {
  return baseline.map(p => ({
    ...p,
    value: p.value === null ? null : map(p.value),
  }));
}

/** A rate stays between 0 and 1, whatever the margin around the baseline's. */
function clampRate(rate: number): number {
  return Math.min(1, Math.max(0, rate));
}

/**
 * A proportion's limits on its rate: the non-inferiority margin and the rollback margin above the
 * baseline's rate (below it for a higher-is-better metric), and, for a lower-is-better one, the
 * hard ceiling `maxRate` and the multiple `maxRatio` of the baseline's rate.
 */
function proportionReferences(
  metric: ProportionMetricDefinition,
  baseline: Point[],
): ChartReference[] {
  const higherIsBetter = metric.direction === 'higher-is-better';
  const harm = (amount: number) => (higherIsBetter ? -amount : amount);
  const references: ChartReference[] = [
    {
      key: `margin.${metric.name}`,
      kind: 'margin',
      label: `non-inferiority margin: baseline ${formatDifference(
        harm(metric.margin),
        'fraction',
      )}`,
      points: following(baseline, v => clampRate(v + harm(metric.margin))),
    },
  ];
  const rollbackMargin = metric.rollbackMargin ?? 0;
  if (rollbackMargin > 0) {
    references.push({
      key: `rollbackMargin.${metric.name}`,
      kind: 'rollback',
      label: `rollback margin: baseline ${formatDifference(
        harm(rollbackMargin),
        'fraction',
      )}`,
      points: following(baseline, v => clampRate(v + harm(rollbackMargin))),
    });
  }
  if (higherIsBetter) return references;
  if (metric.maxRate !== undefined) {
    references.push({
      key: `maxRate.${metric.name}`,
      kind: 'rollback',
      label: 'rollback ceiling',
      value: metric.maxRate,
    });
  }
  if (metric.maxRatio !== undefined) {
    const ratio = metric.maxRatio;
    references.push({
      key: `maxRatio.${metric.name}`,
      kind: 'rollback',
      label: `rollback ceiling: ${ratio}x baseline`,
      points: following(baseline, v => ratio * v),
    });
  }
  return references;
}

/**
 * A distribution's limits on one of its quantiles, when it watches that quantile: the
 * non-inferiority margin and the rollback margin as multiples of the baseline's quantile (the
 * judge translates them into shares of observations beyond the baseline's quantile), and, for a
 * lower-is-better metric, the hard ceiling `max` on every watched quantile.
 */
function distributionReferences(
  metric: DistributionMetricDefinition,
  quantile: number,
  baseline: Point[],
): ChartReference[] {
  const watched = (metric.quantiles ?? DEFAULT_QUANTILES).some(
    p => Math.abs(p - quantile) < 1e-9,
  );
  if (!watched) return [];
  const higherIsBetter = metric.direction === 'higher-is-better';
  const harm = (amount: number) => (higherIsBetter ? -amount : amount);
  const references: ChartReference[] = [];
  if (metric.margin !== undefined) {
    const margin = harm(metric.margin);
    references.push({
      key: `margin.${metric.name}`,
      kind: 'margin',
      label: `non-inferiority margin: baseline ${formatChange(margin)}`,
      points: following(baseline, v => v * (1 + margin)),
    });
  }
  const rollbackMargin = metric.rollbackMargin ?? 0;
  if (rollbackMargin > 0) {
    const change = harm(rollbackMargin);
    references.push({
      key: `rollbackMargin.${metric.name}`,
      kind: 'rollback',
      label: `rollback margin: baseline ${formatChange(change)}`,
      points: following(baseline, v => Math.max(0, v * (1 + change))),
    });
  }
  if (metric.max !== undefined && !higherIsBetter) {
    references.push({
      key: `max.${metric.name}`,
      kind: 'rollback',
      label: 'rollback ceiling',
      // In the histogram's unit (seconds), like the series: the judge compares it with the
      // histogram's bucket bounds as it is.
      value: metric.max,
    });
  }
  return references;
}

/**
 * The limits and margins of `strategy`'s metric definitions that apply to a measured series, to
 * draw on its chart: the judge's non-inferiority and rollback margins (around the baseline) and
 * the hard ceilings (fixed, or a multiple of the baseline). Series are named as `GET /analysis`
 * names them: `error-rate` (a fraction, judged by the proportion metric of that name),
 * `latency-p50`, `latency-p95`, `latency-p99` (seconds, judged by the distribution metric
 * `latency` when it watches that quantile).
 */
export function referencesFor(
  series: string,
  baseline: Point[],
  strategy: Strategy,
): ChartReference[] {
  const { metrics } = strategy.analysis;
  if (series === 'error-rate') {
    return metrics.flatMap(metric =>
      metric.kind === 'proportion' && metric.name === series
        ? proportionReferences(metric, baseline)
        : [],
    );
  }
  const latency = /^latency-p(\d+(?:\.\d+)?)$/.exec(series);
  if (latency) {
    const quantile = Number(latency[1]) / 100;
    return metrics.flatMap(metric =>
      metric.kind === 'distribution' && metric.name === 'latency'
        ? distributionReferences(metric, quantile, baseline)
        : [],
    );
  }
  return [];
}
