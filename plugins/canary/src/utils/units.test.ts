import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';
import { failedLatencyVerdict } from '../__testUtils__/fixtures';
import {
  describeTail,
  formatChange,
  formatConfidence,
  formatDifference,
  formatPValue,
  formatSeriesValue,
  formatValue,
  formatVerdictInterval,
  formatVerdictMeasure,
  formatVerdictValue,
  thresholdName,
  verdictScale,
} from './units';

const verdict = (overrides: Partial<MetricVerdict>): MetricVerdict => ({
  metric: 'error-rate',
  rule: 'msprt',
  verdict: 'inconclusive',
  explanation: '',
  ...overrides,
});

describe('units', () => {
  it.each([
    [0.0123, 'fraction', '1.23 %'],
    [0, 'fraction', '0.00 %'],
    [0.3534, 's', '353 ms'],
    [0.07562, 's', '75.6 ms'],
    [0.00425, 's', '4.25 ms'],
    [1.5, 's', '1.5 s'],
    [12.34, 's', '12.3 s'],
    [250, 'ms', '250 ms'],
    [1234.4, 'count', '1,234'],
    [0.52, 'cores', '0.52 cores'],
    [123456, undefined, '123,500'],
    [Infinity, 's', '∞'],
    [undefined, 's', '–'],
    [null, 'fraction', '–'],
  ])('formats %p in %p as %p', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  it('formats changes and differences with their sign', () => {
    expect(formatChange(0.123)).toBe('+12.3 %');
    expect(formatChange(-0.04)).toBe('-4.0 %');
    expect(formatChange(0)).toBe('0.0 %');
    expect(formatDifference(0.0256, 'fraction')).toBe('+2.56 pts');
    expect(formatDifference(-0.001, 'fraction')).toBe('-0.10 pts');
    expect(formatDifference(0.012, 's')).toBe('+12 ms');
    expect(formatDifference(-Infinity, 'fraction')).toBe('-∞');
  });

  it('formats series by their metric: rates, latencies in seconds, counts', () => {
    expect(formatSeriesValue('error-rate', 0.0013)).toBe('0.13 %');
    expect(formatSeriesValue('latency-p95', 0.353)).toBe('353 ms');
    expect(formatSeriesValue('latency-p50', 0.03)).toBe('30 ms');
    expect(formatSeriesValue('requests', 951)).toBe('951');
    expect(formatSeriesValue('errors', 12)).toBe('12');
    expect(formatSeriesValue('conversion', 0.25)).toBe('0.25');
    expect(formatSeriesValue('latency-p99', null)).toBe('–');
  });

  it('formats a proportion verdict: rates in %, the difference and its margin in points', () => {
    const v = verdict({
      unit: 'fraction',
      scale: 'absolute',
      estimate: 0.0256,
      interval: [-0.1266, 0.2221],
      threshold: 0.02,
      rollbackThreshold: 0,
    });
    expect(verdictScale(v)).toBe('difference');
    expect(formatVerdictValue(v, 0.0256)).toBe('2.56 %');
    expect(formatVerdictMeasure(v, v.estimate)).toBe('+2.56 pts');
    expect(formatVerdictMeasure(v, v.threshold)).toBe('+2.00 pts');
    expect(formatVerdictInterval(v)).toBe('[-12.66 pts, +22.21 pts]');
  });

  it('formats a relative latency verdict (older records): values in ms, comparisons relative', () => {
    const v = verdict({
      metric: 'latency',
      rule: 'quantile-band',
      unit: 's',
      scale: 'relative',
      estimate: 0.1368,
      interval: [-0.05, 0.4],
      threshold: 0.1,
      baseline: 0.0665,
      canary: 0.0756,
    });
    expect(verdictScale(v)).toBe('relative');
    expect(formatVerdictValue(v, v.baseline)).toBe('66.5 ms');
    expect(formatVerdictValue(v, v.canary)).toBe('75.6 ms');
    expect(formatVerdictMeasure(v, v.estimate)).toBe('+13.7 %');
    expect(formatVerdictMeasure(v, v.threshold)).toBe('+10.0 %');
    expect(formatVerdictInterval(v)).toBe('[-5.0 %, +40.0 %]');
  });

  it('formats an older latency threshold verdict in ms, also without a unit', () => {
    const v = verdict({
      metric: 'latency-p95',
      rule: 'rollback.maxP95Ms',
      unit: 's',
      estimate: 0.353,
      threshold: 2,
    });
    expect(verdictScale(v)).toBe('value');
    expect(formatVerdictMeasure(v, v.estimate)).toBe('353 ms');
    expect(formatVerdictMeasure(v, v.threshold)).toBe('2 s');
    const { unit, ...older } = v;
    expect(formatVerdictMeasure(older, older.estimate)).toBe('353 ms');
  });

  it('formats a latency verdict of the judge: quantiles in their unit, shares in %, their difference in points', () => {
    const v = failedLatencyVerdict();
    expect(verdictScale(v)).toBe('difference');
    expect(thresholdName(v)).toBe('margin');
    expect(formatVerdictMeasure(v, v.estimate)).toBe('+18.10 pts');
    expect(formatVerdictMeasure(v, v.threshold)).toBe('+1.10 pts');
    expect(formatVerdictInterval(v)).toBe('[+12.00 pts, +24.00 pts]');
    expect(formatConfidence(v.confidenceLevel!)).toBe('98.1 %');
    expect(describeTail(v)).toEqual({
      quantiles: 'p95 180 ms → 310 ms',
      shares: 'slower than 250 ms: 2.90 % → 21.00 %',
    });
    expect(
      describeTail({
        ...v,
        metric: 'payload',
        tail: { ...v.tail!, p: 0.999, unit: 'KiB', direction: 'at-or-below' },
      })?.quantiles,
    ).toBe('p99.9 0.18 KiB → 0.31 KiB');
    expect(
      describeTail({ ...v, tail: { ...v.tail!, unit: 'KiB' } })?.shares,
    ).toBe('above 0.25 KiB: 2.90 % → 21.00 %');
    expect(describeTail(verdict({}))).toBeUndefined();
  });

  it('formats ceilings as values or multiples against their limit', () => {
    const maxRate = verdict({
      rule: 'max-rate',
      unit: 'fraction',
      scale: 'absolute',
      estimate: 0.062,
      threshold: 0.05,
    });
    expect(verdictScale(maxRate)).toBe('value');
    expect(thresholdName(maxRate)).toBe('limit');
    expect(formatVerdictMeasure(maxRate, maxRate.estimate)).toBe('6.20 %');
    const maxRatio = verdict({
      rule: 'max-ratio',
      unit: 'fraction',
      scale: 'relative',
      estimate: 1.5,
      interval: [1.3, 2.1],
      threshold: 1,
    });
    expect(verdictScale(maxRatio)).toBe('ratio');
    expect(thresholdName(maxRatio)).toBe('limit');
    expect(formatVerdictMeasure(maxRatio, maxRatio.estimate)).toBe('2.5x');
    expect(formatVerdictMeasure(maxRatio, maxRatio.threshold)).toBe('2x');
    expect(formatVerdictInterval(maxRatio)).toBe('[2.3x, 3.1x]');
    const maxQuantile = verdict({
      metric: 'latency',
      rule: 'max-quantile',
      unit: 'fraction',
      scale: 'absolute',
      estimate: 0.072,
      threshold: 0.05,
    });
    expect(verdictScale(maxQuantile)).toBe('value');
    expect(formatVerdictMeasure(maxQuantile, maxQuantile.threshold)).toBe(
      '5.00 %',
    );
  });

  it("compares the restarted proportion test's difference in points", () => {
    const v = verdict({
      rule: 'msprt-restarted',
      unit: 'fraction',
      scale: 'absolute',
      estimate: 0.03,
    });
    expect(verdictScale(v)).toBe('difference');
    expect(formatVerdictMeasure(v, v.estimate)).toBe('+3.00 pts');
  });

  it('formats counts relative, gauges in their unit and the traffic split in %', () => {
    expect(
      formatVerdictMeasure(
        verdict({ rule: 'poisson-mixture', scale: 'relative' }),
        0.5,
      ),
    ).toBe('+50.0 %');
    expect(
      formatVerdictMeasure(
        verdict({ metric: 'memory', rule: 'threshold', unit: 'MiB' }),
        512,
      ),
    ).toBe('512 MiB');
    expect(
      formatVerdictMeasure(
        verdict({ metric: 'sample-ratio', rule: 'srm', unit: 'fraction' }),
        0.0394,
      ),
    ).toBe('3.94 %');
  });

  it('shows an interval bound sent as null as unbounded', () => {
    const v = verdict({ unit: 'fraction', scale: 'absolute' });
    expect(
      formatVerdictInterval(v, [null, 0.01] as unknown as [number, number]),
    ).toBe('[-∞, +1.00 pts]');
  });

  it('formats p-values', () => {
    expect(formatPValue(0.0412)).toBe('0.041');
    expect(formatPValue(0.00001)).toBe('< 0.001');
    expect(formatPValue(undefined)).toBe('–');
  });
});
