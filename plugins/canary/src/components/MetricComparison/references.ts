import type { Strategy } from '@canary-release/backstage-plugin-canary-common';
import { formatChange, formatDifference } from '../../utils/units';
import type { ChartReference, Point } from './TimeSeriesChart';

/** The engine compares error rates with a ratio of the baseline's, floored at this rate. */
const BASELINE_ERROR_RATE_FLOOR = 0.001;

/** The baseline's series mapped point by point, keeping its gaps. */
function following(baseline: Point[], map: (value: number) => number): Point[] {
  return baseline.map(p => ({
    ...p,
    value: p.value === null ? null : map(p.value),
  }));
}

function errorRateReferences(
  baseline: Point[],
  strategy: Strategy,
): ChartReference[] {
  const { success, rollback } = strategy.analysis.thresholds;
  const references: ChartReference[] = [];
  if (success.maxErrorRate !== undefined) {
    references.push({
      key: 'success.maxErrorRate',
      kind: 'success',
      label: 'success limit',
      value: success.maxErrorRate,
    });
  }
  if (success.maxErrorRateIncrease !== undefined) {
    const increase = success.maxErrorRateIncrease;
    references.push({
      key: 'success.maxErrorRateIncrease',
      kind: 'success',
      label: `success limit: baseline ${formatDifference(
        increase,
        'fraction',
      )}`,
      points: following(baseline, v => v + increase),
    });
  }
  if (rollback.maxErrorRate !== undefined) {
    references.push({
      key: 'rollback.maxErrorRate',
      kind: 'rollback',
      label: 'rollback limit',
      value: rollback.maxErrorRate,
    });
  }
  if (rollback.maxErrorRateRatio !== undefined) {
    const ratio = rollback.maxErrorRateRatio;
    references.push({
      key: 'rollback.maxErrorRateRatio',
      kind: 'rollback',
      label: `rollback limit: ${ratio}x baseline`,
      points: following(
        baseline,
        v => ratio * Math.max(v, BASELINE_ERROR_RATE_FLOOR),
      ),
    });
  }
  for (const metric of strategy.analysis.metrics) {
    if (metric.kind === 'proportion' && metric.name === 'error-rate') {
      const margin =
        metric.direction === 'higher-is-better'
          ? -metric.margin
          : metric.margin;
      references.push({
        key: `margin.${metric.name}`,
        kind: 'margin',
        label: `non-inferiority margin: baseline ${formatDifference(
          margin,
          'fraction',
        )}`,
        points: following(baseline, v => v + margin),
      });
    }
  }
  return references;
}

function latencyReferences(
  quantile: number,
  baseline: Point[],
  strategy: Strategy,
): ChartReference[] {
  const { success, rollback } = strategy.analysis.thresholds;
  const references: ChartReference[] = [];
  if (quantile === 0.95) {
    if (success.maxP95Ms !== undefined) {
      references.push({
        key: 'success.maxP95Ms',
        kind: 'success',
        label: 'success limit',
        value: success.maxP95Ms / 1000,
      });
    }
    if (rollback.maxP95Ms !== undefined) {
      references.push({
        key: 'rollback.maxP95Ms',
        kind: 'rollback',
        label: 'rollback limit',
        value: rollback.maxP95Ms / 1000,
      });
    }
    if (rollback.maxP95Ratio !== undefined) {
      const ratio = rollback.maxP95Ratio;
      references.push({
        key: 'rollback.maxP95Ratio',
        kind: 'rollback',
        label: `rollback limit: ${ratio}x baseline`,
        points: following(baseline, v => ratio * v),
      });
    }
  }
  // The judge compares the latency histogram quantile by quantile, relative to the baseline's.
  for (const metric of strategy.analysis.metrics) {
    if (
      metric.kind === 'distribution' &&
      metric.margin !== undefined &&
      (metric.quantiles ?? [0.5, 0.95]).includes(quantile)
    ) {
      const margin =
        metric.direction === 'higher-is-better'
          ? -metric.margin
          : metric.margin;
      references.push({
        key: `margin.${metric.name}`,
        kind: 'margin',
        label: `non-inferiority margin: baseline ${formatChange(margin)}`,
        points: following(baseline, v => v * (1 + margin)),
      });
    }
  }
  return references;
}

/**
 * The limits and margins of `strategy` that apply to a measured series, to draw on its chart:
 * the threshold rules (fixed, or a multiple of the baseline) and the statistical judge's
 * non-inferiority margins (around the baseline). Series are named as `GET /analysis` names them:
 * `error-rate` (a fraction), `latency-p50`, `latency-p95`, `latency-p99` (seconds).
 */
export function referencesFor(
  metric: string,
  baseline: Point[],
  strategy: Strategy,
): ChartReference[] {
  if (metric === 'error-rate') return errorRateReferences(baseline, strategy);
  const latency = /^latency-p(\d+)$/.exec(metric);
  if (latency) {
    return latencyReferences(Number(latency[1]) / 100, baseline, strategy);
  }
  return [];
}
