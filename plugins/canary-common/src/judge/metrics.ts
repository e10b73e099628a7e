import type { MetricVerdict, VerdictKind } from '../model';
import { msprtStep, msprtTau2ForMargin, intersect } from '../stats/msprt';
import { poissonRateRatio } from '../stats/countTest';
import {
  boundQuantiles,
  prepareDistribution,
  timeUniformBandWidth,
  type QuantileBound,
} from '../stats/quantileBands';
import { newcombeInterval, twoProportionZTest } from '../stats/proportions';
import {
  assertBinomial,
  assertCount,
  assertFinite,
  assertNonNegative,
} from '../stats/validate';
import {
  formatChange,
  formatConfidence,
  formatNumber,
  formatPercent,
  formatPoints,
  formatRelative,
  formatValue,
  quantileName,
} from './explain';
import type {
  Bounds,
  CountArmData,
  CountMetricDefinition,
  DistributionArmData,
  DistributionMetricDefinition,
  GaugeArmData,
  GaugeMetricDefinition,
  MetricDefinition,
  MetricJudgeState,
  MetricLookData,
  ProportionArmData,
  ProportionMetricDefinition,
} from './types';

/** Significance levels of one metric: for showing non-inferiority, and for establishing harm. */
export interface Levels {
  promote: number;
  fail: number;
}

export interface Evaluation {
  verdict: MetricVerdict;
  /** The metric's running values after this look; undefined keeps the previous ones. */
  state?: MetricJudgeState;
  /** This look added canary observations (or, for a gauge, has a value). */
  newData: boolean;
}

/** Default quantiles compared for distribution metrics. */
export const DEFAULT_QUANTILES = [0.5, 0.95];

export function evaluateMetric(
  definition: MetricDefinition,
  data: MetricLookData,
  previous: MetricJudgeState | undefined,
  levels: Levels,
): Evaluation {
  switch (definition.kind) {
    case 'proportion':
      return evaluateProportion(
        definition,
        data as MetricLookData<ProportionArmData>,
        previous,
        levels,
      );
    case 'count':
      return evaluateCount(
        definition,
        data as MetricLookData<CountArmData>,
        previous,
        levels,
      );
    case 'distribution':
      return evaluateDistribution(
        definition,
        data as MetricLookData<DistributionArmData>,
        previous,
        levels,
      );
    default:
      return evaluateGauge(definition, data as MetricLookData<GaugeArmData>);
  }
}

/** A verdict for a metric whose evaluation threw (bad provider data): never a pass. */
export function errorVerdict(
  definition: MetricDefinition,
  error: unknown,
): MetricVerdict {
  const message = error instanceof Error ? error.message : String(error);
  return {
    metric: definition.name,
    rule: 'error',
    verdict: 'error',
    critical: Boolean(definition.critical),
    explanation: `${definition.name} could not be judged: ${message}`,
  };
}

function noData(definition: MetricDefinition, what: string): Evaluation {
  return {
    verdict: {
      metric: definition.name,
      rule: 'nodata',
      verdict: 'nodata',
      critical: Boolean(definition.critical),
      explanation: `no data yet for ${definition.name}: ${what}`,
    },
    newData: false,
  };
}

const toNumbers = (b: Bounds): [number, number] => [
  b[0] ?? -Infinity,
  b[1] ?? Infinity,
];
const toBounds = ([lower, upper]: [number, number]): Bounds => [
  Number.isFinite(lower) ? lower : null,
  Number.isFinite(upper) ? upper : null,
];

/** The previous state if it applies to these settings and the sizes did not shrink (a new stage). */
function continuing(
  previous: MetricJudgeState | undefined,
  key: string,
  canaryN: number,
  baselineN: number,
): MetricJudgeState | undefined {
  if (
    previous &&
    previous.key === key &&
    canaryN >= previous.canaryN &&
    baselineN >= previous.baselineN
  ) {
    return previous;
  }
  return undefined;
}

const finiteInterval = (
  interval: [number, number],
): [number, number] | undefined =>
  Number.isFinite(interval[0]) && Number.isFinite(interval[1])
    ? interval
    : undefined;

/**
 * fail: the harm's lower bound (at the regression level) is above the rollback margin;
 * pass: its upper bound (at the non-inferiority level) is below the margin, or there is no
 * margin and no regression; inconclusive otherwise.
 */
function classify(
  failLower: number,
  rollbackMargin: number,
  upper: number,
  margin: number | undefined,
): VerdictKind {
  if (failLower > rollbackMargin) return 'fail';
  if (margin === undefined || upper < margin) return 'pass';
  return 'inconclusive';
}

function action(critical: boolean | undefined): string {
  return critical ? 'rolling back' : 'pausing for a decision';
}

function evaluateProportion(
  definition: ProportionMetricDefinition,
  { baseline, canary }: MetricLookData<ProportionArmData>,
  previous: MetricJudgeState | undefined,
  levels: Levels,
): Evaluation {
  if (!canary || canary.total === 0)
    return noData(definition, 'the canary has no trials');
  if (!baseline || baseline.total === 0) {
    return noData(definition, 'the baseline has no trials');
  }
  assertBinomial('canary', canary.count, canary.total);
  assertBinomial('baseline', baseline.count, baseline.total);
  const { name, margin, critical } = definition;
  const rollbackMargin = definition.rollbackMargin ?? 0;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const sign = higherIsBetter ? -1 : 1;
  const tau2 = msprtTau2ForMargin(margin, levels.promote);
  const key = JSON.stringify(['proportion', sign, tau2, levels]);
  const prior = continuing(previous, key, canary.total, baseline.total);
  // Agresti-Caffo: one pseudo-success and one pseudo-failure per arm keep the plug-in variance
  // positive with zero counts and pull small samples towards no difference, where the normal
  // approximation behind the mSPRT is weakest.
  const adjCanary = (canary.count + 1) / (canary.total + 2);
  const adjBaseline = (baseline.count + 1) / (baseline.total + 2);
  const estimate = {
    thetaHat: sign * (adjCanary - adjBaseline),
    variance:
      (adjCanary * (1 - adjCanary)) / (canary.total + 2) +
      (adjBaseline * (1 - adjBaseline)) / (baseline.total + 2),
  };
  const running = (bounds: Bounds | undefined) =>
    prior && bounds
      ? {
          looks: prior.looks,
          pValue: prior.pValue ?? 1,
          lower: toNumbers(bounds)[0],
          upper: toNumbers(bounds)[1],
        }
      : undefined;
  const promote = msprtStep(running(prior?.promote), estimate, {
    tau2,
    alpha: levels.promote,
  });
  const fail = msprtStep(running(prior?.fail), estimate, {
    tau2,
    alpha: levels.fail,
  });
  const harm: [number, number] = [promote.state.lower, promote.state.upper];
  const failLower = fail.state.lower;
  const rateCanary = canary.count / canary.total;
  const rateBaseline = baseline.count / baseline.total;
  const pValue = promote.state.pValue;
  const verdict = classify(failLower, rollbackMargin, harm[1], margin);
  const worse = higherIsBetter ? 'drop' : 'increase';
  const rates = [formatPercent(rateCanary), formatPercent(rateBaseline)];
  const head = `canary ${name} is ${rates[0]} vs ${rates[1]} on baseline`;
  const sure = formatConfidence(1 - levels.promote);
  const marginText = `the margin of ${formatPoints(margin)}`;
  let explanation: string;
  if (verdict === 'fail') {
    const failSure = formatConfidence(1 - levels.fail);
    const atLeast = formatPoints(failLower);
    const beyond =
      rollbackMargin > 0
        ? ` (rollback margin ${formatPoints(rollbackMargin)})`
        : '';
    explanation = `${head}; ${failSure} sure the ${worse} is at least ${atLeast}${beyond}: ${action(
      critical,
    )}`;
  } else if (verdict === 'pass') {
    const atMost = formatPoints(harm[1]);
    explanation =
      harm[1] <= 0
        ? `${head}; ${sure} sure it is no worse, within ${marginText}`
        : `${head}; ${sure} sure any ${worse} is below ${marginText} (at most ${atMost})`;
  } else {
    const upTo = formatPoints(harm[1]);
    explanation = `${head}; the ${worse} could still be up to ${upTo} (${sure} sure), not yet below ${marginText}: waiting for more data`;
  }
  const z = twoProportionZTest(
    canary.count,
    canary.total,
    baseline.count,
    baseline.total,
  );
  return {
    verdict: {
      metric: name,
      rule: 'msprt',
      verdict,
      unit: 'fraction',
      scale: 'absolute',
      estimate: rateCanary - rateBaseline,
      baseline: rateBaseline,
      canary: rateCanary,
      threshold: margin,
      rollbackThreshold: rollbackMargin,
      // The harm interval, back in canary-minus-baseline terms.
      interval: higherIsBetter ? [-harm[1], -harm[0]] : harm,
      confidenceLevel: 1 - levels.promote,
      pValue,
      sampleSize: { baseline: baseline.total, canary: canary.total },
      critical: Boolean(critical),
      classical: {
        method:
          'two-proportion z-test and Newcombe interval (fixed horizon, display only)',
        pValue: z.pValue,
        interval: newcombeInterval(
          canary.count,
          canary.total,
          baseline.count,
          baseline.total,
          levels.promote,
        ),
      },
      explanation,
    },
    state: {
      key,
      looks: promote.state.looks,
      canaryN: canary.total,
      baselineN: baseline.total,
      pValue,
      promote: toBounds(harm),
      fail: toBounds([fail.state.lower, fail.state.upper]),
    },
    newData: canary.total > (previous?.canaryN ?? 0),
  };
}

/**
 * Concentration of the Beta mixture so that its spread in log rate ratio is about `scale`:
 * sd(ln r) ~ 1 / sqrt(rho_c rho_b (c + 1)). Like tau for proportions, it puts the test's best
 * sensitivity at the size of effect that matters (the margin; a doubling when there is none).
 */
function countConcentration(scale: number, rhoCanary: number): number {
  return Math.max(1, 1 / (scale * scale * rhoCanary * (1 - rhoCanary)) - 1);
}

function evaluateCount(
  definition: CountMetricDefinition,
  { baseline, canary }: MetricLookData<CountArmData>,
  previous: MetricJudgeState | undefined,
  levels: Levels,
): Evaluation {
  if (!canary || !(canary.exposure > 0)) {
    if (canary) assertNonNegative('canary exposure', canary.exposure);
    return noData(definition, 'the canary has no exposure');
  }
  if (!baseline || !(baseline.exposure > 0)) {
    if (baseline) assertNonNegative('baseline exposure', baseline.exposure);
    return noData(definition, 'the baseline has no exposure');
  }
  assertCount('canary events', canary.events);
  assertCount('baseline events', baseline.events);
  assertFinite('canary exposure', canary.exposure);
  assertFinite('baseline exposure', baseline.exposure);
  const { name, margin, critical } = definition;
  const rollbackMargin = definition.rollbackMargin ?? 0;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const rhoCanary = canary.exposure / (canary.exposure + baseline.exposure);
  const concentration = countConcentration(margin ?? 1, rhoCanary);
  const key = JSON.stringify(['count', higherIsBetter, margin ?? null, levels]);
  const prior = continuing(previous, key, canary.exposure, baseline.exposure);
  const atPromote = poissonRateRatio(canary, baseline, {
    alpha: levels.promote,
    concentration,
  });
  const atFail = poissonRateRatio(canary, baseline, {
    alpha: levels.fail,
    concentration,
  });
  // Harm: relative increase of the rate (lower is better) or relative decrease.
  const toHarm = ([lower, upper]: [number, number]): [number, number] =>
    higherIsBetter ? [1 - upper, 1 - lower] : [lower - 1, upper - 1];
  const harm = intersect(
    prior?.promote && toNumbers(prior.promote),
    toHarm([atPromote.lower, atPromote.upper]),
  );
  const failHarm = intersect(
    prior?.fail && toNumbers(prior.fail),
    toHarm([atFail.lower, atFail.upper]),
  );
  const pValue = Math.min(prior?.pValue ?? 1, atPromote.pValueAtLook);
  const verdict = classify(failHarm[0], rollbackMargin, harm[1], margin);
  const rateCanary = canary.events / canary.exposure;
  const rateBaseline = baseline.events / baseline.exposure;
  const worse = higherIsBetter ? 'lower' : 'higher';
  const rateRatio = atPromote.rateRatio;
  const head =
    baseline.events === 0 && canary.events === 0
      ? `no ${name} in either arm yet`
      : `canary ${name} rate is ${formatNumber(rateRatio)}x the baseline's (${
          canary.events
        } vs ${baseline.events} events)`;
  const sure = formatConfidence(1 - levels.promote);
  let explanation: string;
  if (verdict === 'fail') {
    const failSure = formatConfidence(1 - levels.fail);
    // Large increases read better as a multiple of the baseline's rate.
    const atLeast =
      !higherIsBetter && failHarm[0] >= 1
        ? `${formatNumber(1 + failHarm[0])}x the baseline's rate`
        : `${formatRelative(failHarm[0])} ${worse}`;
    explanation = `${head}; ${failSure} sure it is at least ${atLeast}: ${action(
      critical,
    )}`;
  } else if (margin === undefined) {
    explanation = `${head}; no regression established (${name} has no margin: it only watches for regressions)`;
  } else if (verdict === 'pass') {
    const marginText = formatRelative(margin);
    explanation = `${head}; ${sure} sure it is less than ${marginText} ${worse}, within the margin`;
  } else if (!Number.isFinite(harm[1])) {
    explanation = `${head}; too few events yet to bound the rate: waiting for more data`;
  } else {
    const upTo = formatRelative(harm[1]);
    const marginText = formatRelative(margin);
    explanation = `${head}; it could still be up to ${upTo} ${worse} (${sure} sure), beyond the margin of ${marginText}: waiting for more data`;
  }
  // Display in canary-vs-baseline terms: the relative change of the rate.
  const change: [number, number] = higherIsBetter ? [-harm[1], -harm[0]] : harm;
  return {
    verdict: {
      metric: name,
      rule: 'poisson-mixture',
      verdict,
      scale: 'relative',
      estimate: Number.isFinite(rateRatio) ? rateRatio - 1 : undefined,
      baseline: rateBaseline,
      canary: rateCanary,
      threshold: margin,
      rollbackThreshold: rollbackMargin,
      interval: finiteInterval(change),
      confidenceLevel: 1 - levels.promote,
      pValue,
      sampleSize: { baseline: baseline.exposure, canary: canary.exposure },
      critical: Boolean(critical),
      explanation,
    },
    state: {
      key,
      looks: (prior?.looks ?? 0) + 1,
      canaryN: canary.exposure,
      baselineN: baseline.exposure,
      pValue,
      promote: toBounds(harm),
      fail: toBounds(failHarm),
    },
    newData: canary.exposure > (previous?.canaryN ?? 0),
  };
}

/** c / b for non-negative quantile bounds, with 0/0 = 1 (no change). */
function ratio(c: number, b: number): number {
  if (b === 0) return c === 0 ? 1 : Infinity;
  return c / b;
}

function evaluateDistribution(
  definition: DistributionMetricDefinition,
  { baseline, canary }: MetricLookData<DistributionArmData>,
  previous: MetricJudgeState | undefined,
  levels: Levels,
): Evaluation {
  const c = canary && prepareDistribution(canary);
  const b = baseline && prepareDistribution(baseline);
  if (!c || c.n === 0)
    return noData(definition, 'the canary has no observations');
  if (!b || b.n === 0) {
    return noData(definition, 'the baseline has no observations');
  }
  const nc = c.n;
  const nb = b.n;
  const { name, margin, critical, unit } = definition;
  const rollbackMargin = definition.rollbackMargin ?? 0;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const ps = definition.quantiles ?? DEFAULT_QUANTILES;
  const key = JSON.stringify(['distribution', higherIsBetter, ps, levels]);
  const prior = continuing(previous, key, nc, nb);
  // Each arm's band at half the level (union bound over the two arms).
  const requests = (n: number) =>
    ps.flatMap(p => [
      { p, epsilon: timeUniformBandWidth(n, levels.promote / 2) },
      { p, epsilon: timeUniformBandWidth(n, levels.fail / 2) },
    ]);
  const qc = boundQuantiles(c, requests(nc)).quantiles;
  const qb = boundQuantiles(b, requests(nb)).quantiles;
  // Harm of a quantile: relative increase (lower is better) or decrease of canary vs baseline.
  const toHarm = (r: number) => (higherIsBetter ? 1 - r : r - 1);
  const harmBounds = (
    ofCanary: QuantileBound,
    ofBaseline: QuantileBound,
  ): [number, number] =>
    higherIsBetter
      ? [
          toHarm(ratio(ofCanary.upper, ofBaseline.lower)),
          toHarm(ratio(ofCanary.lower, ofBaseline.upper)),
        ]
      : [
          toHarm(ratio(ofCanary.lower, ofBaseline.upper)),
          toHarm(ratio(ofCanary.upper, ofBaseline.lower)),
        ];
  const perQuantile = ps.map((p, i) => {
    const promote = intersect(
      prior?.quantiles?.[i] && toNumbers(prior.quantiles[i].promote),
      harmBounds(qc[2 * i], qb[2 * i]),
    );
    const fail = intersect(
      prior?.quantiles?.[i] && toNumbers(prior.quantiles[i].fail),
      harmBounds(qc[2 * i + 1], qb[2 * i + 1]),
    );
    return {
      p,
      canary: qc[2 * i].estimate,
      baseline: qb[2 * i].estimate,
      harm: toHarm(ratio(qc[2 * i].estimate, qb[2 * i].estimate)),
      promote,
      fail,
    };
  });
  // The metric's harm is the worst quantile's: the bounds are simultaneous over all quantiles.
  const worst = (pick: (q: (typeof perQuantile)[number]) => number) =>
    perQuantile.reduce((a, q) => (pick(q) > pick(a) ? q : a));
  const shown = worst(q => q.harm);
  const failing = worst(q => q.fail[0]);
  const harm: [number, number] = [
    Math.max(...perQuantile.map(q => q.promote[0])),
    Math.max(...perQuantile.map(q => q.promote[1])),
  ];
  const verdict = classify(failing.fail[0], rollbackMargin, harm[1], margin);
  const describe = (q: typeof shown) => {
    const values = [formatValue(q.canary, unit), formatValue(q.baseline, unit)];
    const change = formatChange(higherIsBetter ? -q.harm : q.harm);
    return `canary ${quantileName(q.p)} ${name} is ${values[0]} vs ${
      values[1]
    } on baseline (${change})`;
  };
  const worse = higherIsBetter ? 'drop' : 'increase';
  const sure = formatConfidence(1 - levels.promote);
  const names = ps.map(quantileName).join(', ');
  let explanation: string;
  if (verdict === 'fail') {
    const failSure = formatConfidence(1 - levels.fail);
    const atLeast = formatRelative(failing.fail[0]);
    explanation = `${describe(
      failing,
    )}; ${failSure} sure the ${worse} is at least ${atLeast}: ${action(
      critical,
    )}`;
  } else if (margin === undefined) {
    explanation = `${describe(
      shown,
    )}; no regression established on ${names} (${name} has no margin: it only watches for regressions)`;
  } else if (verdict === 'pass') {
    const marginText = formatRelative(margin);
    explanation = `${describe(
      shown,
    )}; ${sure} sure ${names} are within the margin of ${marginText}`;
  } else {
    const open = worst(q => q.promote[1]);
    const which = quantileName(open.p);
    const marginText = formatRelative(margin);
    const bound = Number.isFinite(open.promote[1])
      ? `${which} could still be ${formatRelative(open.promote[1])} ${
          higherIsBetter ? 'lower' : 'higher'
        } (${sure} sure)`
      : `too few observations yet to bound ${which}`;
    explanation = `${describe(
      shown,
    )}; ${bound}, not yet within the margin of ${marginText}: waiting for more data`;
  }
  const change: [number, number] = higherIsBetter ? [-harm[1], -harm[0]] : harm;
  return {
    verdict: {
      metric: name,
      rule: 'quantile-band',
      verdict,
      unit: definition.unit,
      scale: 'relative',
      estimate: higherIsBetter ? -shown.harm : shown.harm,
      baseline: shown.baseline,
      canary: shown.canary,
      threshold: margin,
      rollbackThreshold: rollbackMargin,
      interval: finiteInterval(change),
      confidenceLevel: 1 - levels.promote,
      sampleSize: { baseline: nb, canary: nc },
      critical: Boolean(critical),
      explanation,
    },
    state: {
      key,
      looks: (prior?.looks ?? 0) + 1,
      canaryN: nc,
      baselineN: nb,
      quantiles: perQuantile.map(q => ({
        promote: toBounds(q.promote),
        fail: toBounds(q.fail),
      })),
    },
    newData: nc > (previous?.canaryN ?? 0),
  };
}

function evaluateGauge(
  definition: GaugeMetricDefinition,
  { baseline, canary }: MetricLookData<GaugeArmData>,
): Evaluation {
  if (!canary) return noData(definition, 'no canary value');
  assertFinite('canary value', canary.value);
  if (baseline) assertFinite('baseline value', baseline.value);
  const { name, unit, critical, max, min, maxRelativeChange } = definition;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const value = canary.value;
  const problems: string[] = [];
  let threshold: number | undefined;
  if (max !== undefined) {
    threshold = max;
    if (value > max)
      problems.push(`above the maximum ${formatValue(max, unit)}`);
  }
  if (min !== undefined) {
    threshold ??= min;
    if (value < min)
      problems.push(`below the minimum ${formatValue(min, unit)}`);
  }
  let change: number | undefined;
  if (maxRelativeChange !== undefined && baseline) {
    change = ratio(value, baseline.value) - 1;
    const harm = higherIsBetter ? -change : change;
    if (harm > maxRelativeChange) {
      problems.push(
        `${formatChange(change)} against the baseline's ${formatValue(
          baseline.value,
          unit,
        )}, beyond the allowed ${formatChange(
          higherIsBetter ? -maxRelativeChange : maxRelativeChange,
        )}`,
      );
    }
  }
  const head = `canary ${name} is ${formatValue(value, unit)}`;
  const verdict = problems.length ? 'fail' : 'pass';
  return {
    verdict: {
      metric: name,
      rule: 'threshold',
      verdict,
      unit,
      scale: 'absolute',
      estimate: value,
      baseline: baseline?.value,
      canary: value,
      threshold,
      critical: Boolean(critical),
      explanation:
        verdict === 'fail'
          ? `${head}: ${problems.join('; ')}: ${action(critical)}`
          : `${head}: within its limits`,
    },
    newData: true,
  };
}
