import {
  ArmSample,
  MetricVerdict,
  StageTotals,
  ThresholdRules,
  errorRate,
  histogramQuantile,
} from '@canary-release/backstage-plugin-canary-common';

/**
 * Threshold rules (the seed design's success and rollback criteria). Each rule yields a verdict
 * with its numbers. Statistical verdicts (the judge) will sit beside these: both must hold.
 */

/** Ratio rules compare against the baseline's error rate floored here, so 0 vs 1 error is no 2x. */
const BASELINE_ERROR_RATE_FLOOR = 0.001;

const pct = (rate: number) => `${(rate * 100).toFixed(2)} %`;
const ms = (seconds: number) => `${Math.round(seconds * 1000)} ms`;

function sizes(baseline: ArmSample, canary: ArmSample) {
  return { baseline: baseline.requests, canary: canary.requests };
}

function verdictOf(failed: boolean): MetricVerdict['verdict'] {
  return failed ? 'fail' : 'pass';
}

/** Rollback rules on one look's window: any failing verdict means roll back now. */
export function rollbackVerdicts(
  rules: ThresholdRules['rollback'],
  baseline: ArmSample,
  canary: ArmSample,
): MetricVerdict[] {
  const verdicts: MetricVerdict[] = [];
  const canaryRate = errorRate(canary) ?? 0;
  const baselineRate = errorRate(baseline);
  const sampleSize = sizes(baseline, canary);

  if (rules.maxErrorRate !== undefined) {
    const failed = canaryRate > rules.maxErrorRate;
    verdicts.push({
      metric: 'error-rate',
      unit: 'fraction',
      rule: 'rollback.maxErrorRate',
      verdict: verdictOf(failed),
      canary: canaryRate,
      baseline: baselineRate,
      estimate: canaryRate,
      threshold: rules.maxErrorRate,
      sampleSize,
      explanation: `Canary errors are ${pct(canaryRate)} of ${
        canary.requests
      } requests in this look; the rollback limit is ${pct(
        rules.maxErrorRate,
      )}${failed ? ': rolling back' : ''}.`,
    });
  }
  if (rules.maxErrorRateRatio !== undefined && baselineRate !== undefined) {
    const limit =
      rules.maxErrorRateRatio *
      Math.max(baselineRate, BASELINE_ERROR_RATE_FLOOR);
    const failed = canaryRate > limit;
    verdicts.push({
      metric: 'error-rate',
      unit: 'fraction',
      rule: 'rollback.maxErrorRateRatio',
      verdict: verdictOf(failed),
      canary: canaryRate,
      baseline: baselineRate,
      estimate: canaryRate,
      threshold: limit,
      sampleSize,
      explanation: `Canary errors are ${pct(canaryRate)} vs ${pct(
        baselineRate,
      )} on stable; the limit is ${rules.maxErrorRateRatio}x stable (${pct(
        limit,
      )})${failed ? ': rolling back' : ''}.`,
    });
  }
  const canaryP95 = histogramQuantile(0.95, canary.latency);
  const baselineP95 = histogramQuantile(0.95, baseline.latency);
  if (rules.maxP95Ms !== undefined && canaryP95 !== undefined) {
    const limit = rules.maxP95Ms / 1000;
    const failed = canaryP95 > limit;
    verdicts.push({
      metric: 'latency-p95',
      unit: 's',
      rule: 'rollback.maxP95Ms',
      verdict: verdictOf(failed),
      canary: canaryP95,
      baseline: baselineP95,
      estimate: canaryP95,
      threshold: limit,
      sampleSize,
      explanation: `Canary p95 latency is ${ms(
        canaryP95,
      )}; the rollback limit is ${ms(limit)}${failed ? ': rolling back' : ''}.`,
    });
  }
  if (
    rules.maxP95Ratio !== undefined &&
    canaryP95 !== undefined &&
    baselineP95 !== undefined
  ) {
    const limit = rules.maxP95Ratio * baselineP95;
    const failed = canaryP95 > limit;
    verdicts.push({
      metric: 'latency-p95',
      unit: 's',
      rule: 'rollback.maxP95Ratio',
      verdict: verdictOf(failed),
      canary: canaryP95,
      baseline: baselineP95,
      estimate: canaryP95,
      threshold: limit,
      sampleSize,
      explanation: `Canary p95 latency is ${ms(canaryP95)} vs ${ms(
        baselineP95,
      )} on stable; the limit is ${rules.maxP95Ratio}x stable (${ms(limit)})${
        failed ? ': rolling back' : ''
      }.`,
    });
  }
  return verdicts;
}

/**
 * Success rules on the whole stage. `inconclusive` when the stage has too few canary requests to
 * judge, so that a quiet canary is never promoted for lack of errors.
 */
export function successVerdicts(
  rules: ThresholdRules['success'],
  totals: StageTotals,
  minRequestsPerStage: number,
): MetricVerdict[] {
  const { baseline, canary } = totals;
  const sampleSize = sizes(baseline, canary);
  if (canary.requests < minRequestsPerStage) {
    return [
      {
        metric: 'requests',
        rule: 'success.minRequestsPerStage',
        verdict: 'inconclusive',
        canary: canary.requests,
        threshold: minRequestsPerStage,
        sampleSize,
        explanation: `The canary has served ${canary.requests} requests in this stage; ${minRequestsPerStage} are needed to judge it.`,
      },
    ];
  }
  const verdicts: MetricVerdict[] = [];
  const canaryRate = errorRate(canary) ?? 0;
  const baselineRate = errorRate(baseline);
  if (rules.maxErrorRate !== undefined) {
    const failed = canaryRate > rules.maxErrorRate;
    verdicts.push({
      metric: 'error-rate',
      unit: 'fraction',
      rule: 'success.maxErrorRate',
      verdict: verdictOf(failed),
      canary: canaryRate,
      baseline: baselineRate,
      estimate: canaryRate,
      threshold: rules.maxErrorRate,
      sampleSize,
      explanation: `Over this stage canary errors are ${pct(
        canaryRate,
      )}; at most ${pct(rules.maxErrorRate)} is allowed.`,
    });
  }
  if (rules.maxErrorRateIncrease !== undefined) {
    if (baselineRate === undefined) {
      verdicts.push({
        metric: 'error-rate',
        unit: 'fraction',
        rule: 'success.maxErrorRateIncrease',
        verdict: 'nodata',
        canary: canaryRate,
        threshold: rules.maxErrorRateIncrease,
        sampleSize,
        explanation:
          'Stable served no requests in this stage, so the increase over stable cannot be judged.',
      });
    } else {
      const increase = canaryRate - baselineRate;
      const failed = increase > rules.maxErrorRateIncrease;
      verdicts.push({
        metric: 'error-rate',
        unit: 'fraction',
        rule: 'success.maxErrorRateIncrease',
        verdict: verdictOf(failed),
        canary: canaryRate,
        baseline: baselineRate,
        estimate: increase,
        threshold: rules.maxErrorRateIncrease,
        sampleSize,
        explanation: `Over this stage canary errors are ${pct(
          canaryRate,
        )} vs ${pct(baselineRate)} on stable, an increase of ${(
          increase * 100
        ).toFixed(2)} points; at most ${(
          rules.maxErrorRateIncrease * 100
        ).toFixed(2)} is allowed.`,
      });
    }
  }
  if (rules.maxP95Ms !== undefined) {
    const canaryP95 = histogramQuantile(0.95, canary.latency);
    const limit = rules.maxP95Ms / 1000;
    if (canaryP95 === undefined) {
      verdicts.push({
        metric: 'latency-p95',
        unit: 's',
        rule: 'success.maxP95Ms',
        verdict: 'nodata',
        threshold: limit,
        sampleSize,
        explanation: 'No canary latency was reported in this stage.',
      });
    } else {
      const failed = canaryP95 > limit;
      verdicts.push({
        metric: 'latency-p95',
        unit: 's',
        rule: 'success.maxP95Ms',
        verdict: verdictOf(failed),
        canary: canaryP95,
        baseline: histogramQuantile(0.95, baseline.latency),
        estimate: canaryP95,
        threshold: limit,
        sampleSize,
        explanation: `Over this stage canary p95 latency is ${ms(
          canaryP95,
        )}; at most ${ms(limit)} is allowed.`,
      });
    }
  }
  return verdicts;
}
