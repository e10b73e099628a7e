import type { MetricVerdict, VerdictKind } from '../model';
import { msprtTau2ForMargin } from '../stats/msprt';
import { StatisticsInputError } from '../stats/errors';
import {
  prepareDistribution,
  type PreparedDistribution,
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
import {
  failChecks,
  nextRestarts,
  rateAboveLimitTest,
  rateDifferenceTest,
  rateRatioTest,
  recentParts,
  type FailCheck,
  type HarmInterval,
  type SeriesTest,
} from './sequences';
import {
  chooseThreshold,
  countBeyond,
  limitBoundary,
  quantileEstimate,
} from './tails';
import type {
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
  RestartPoint,
  SeriesCounts,
  TrialCounts,
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

function action(critical: boolean | undefined): string {
  return critical ? 'rolling back' : 'pausing for a decision';
}

/** A fail-side test: harm is established once its lower bound is above `above`. */
interface FailTest {
  test: SeriesTest;
  above: number;
  /** Its harm is a relative change of the rate (the ratio test), not a difference. */
  relative: boolean;
}

/** One compared series judged at one look. */
interface SeriesJudgement {
  verdict: VerdictKind;
  /** The whole stage at the non-inferiority level. */
  promote: HarmInterval;
  /** The check that shows harm beyond the rollback margin: the whole stage first, else a restart. */
  failing?: FailCheck & { relative: boolean };
  /** A recent part of the stage whose estimate is not below the margin: it holds a promotion. */
  recentWorse?: { start: number; estimate: number };
}

/**
 * fail: a fail-side check's lower bound (of `tests.fail`, in its own units) is above the rollback
 * margin; pass: the whole stage's
 * upper bound (at the non-inferiority level) is below the margin and no recent part of it looks
 * worse than the margin, or there is no margin and no regression; inconclusive otherwise.
 */
function judgeSeries(
  tests: { promote: SeriesTest; fail: FailTest[] },
  series: SeriesCounts,
  restarts: RestartPoint[],
  index: number,
  look: number,
  levels: Levels,
  margin: number | undefined,
): SeriesJudgement {
  const test = tests.promote;
  const promote = test(series, levels.promote);
  // The regression level is split across the fail-side tests.
  const level = levels.fail / tests.fail.length;
  const failing = tests.fail
    .flatMap(({ test: failTest, above, relative }) =>
      failChecks(failTest, series, restarts, index, level)
        .filter(check => check.interval.lower > above)
        .map(check => ({ ...check, relative })),
    )
    .sort((a, b) => a.start - b.start)[0];
  if (failing) return { verdict: 'fail', promote, failing };
  if (margin === undefined) return { verdict: 'pass', promote };
  let recentWorse: SeriesJudgement['recentWorse'];
  for (const part of recentParts(series, restarts, index, look)) {
    if (part.series.canary.total <= 0 || part.series.baseline.total <= 0)
      continue;
    const estimate = test(part.series, levels.promote).estimate;
    if (estimate >= margin) {
      recentWorse = { start: part.start, estimate };
      break;
    }
  }
  const verdict =
    promote.upper < margin && !recentWorse ? 'pass' : 'inconclusive';
  return { verdict, promote, recentWorse };
}

/** The rate of one arm. */
const rate = (arm: TrialCounts) => (arm.total > 0 ? arm.count / arm.total : 0);

/** A harm interval in canary-versus-baseline terms (flipped when higher is better). */
const displayed = (
  interval: { lower: number; upper: number },
  higherIsBetter: boolean,
): [number, number] | undefined => {
  const shown: [number, number] = higherIsBetter
    ? [-interval.upper, -interval.lower]
    : [interval.lower, interval.upper];
  return Number.isFinite(shown[0]) && Number.isFinite(shown[1])
    ? shown
    : undefined;
};

/**
 * The sentence of a failing verdict: the numbers and the claim, and when a restarted sequence
 * decided, since when the canary is worse (with `whole`, what the whole stage shows).
 */
function failExplanation(
  head: string,
  claim: string,
  start: number,
  look: number,
  whole = '',
): string {
  if (start === 1) return `${head}; ${claim}`;
  return `${sinceLook(
    start,
    look,
  )} ${head}, so it got worse during the stage${whole}; ${claim}`;
}

/** "since look 16 (the last 15 looks)", for explanations of a restarted sequence. */
function sinceLook(start: number, look: number): string {
  const count = look - start + 1;
  return `since look ${start} (the last ${count} look${
    count === 1 ? '' : 's'
  })`;
}

/** How the canary's rate compares with the baseline's, relatively: "2.75x" or "+12 %". */
function relativeText(canary: number, baseline: number): string {
  if (baseline === 0) return canary === 0 ? 'the same' : 'none on baseline';
  const multiple = canary / baseline;
  if (multiple === 1) return 'the same';
  return multiple >= 2
    ? `${formatNumber(multiple)}x`
    : formatChange(multiple - 1);
}

/**
 * The relative regression the Poisson test of a proportion is tuned to establish fastest (ln-scale
 * spread of its mixture): about a doubling, what a bad release typically does to an error rate.
 */
const REGRESSION_SCALE = 1;

/** The canary's share of the exposure (requests) of both arms. */
function exposureShare(series: SeriesCounts): number {
  return series.canary.total / (series.canary.total + series.baseline.total);
}

/** "it is at least 1.8x the baseline's" or "it is at least 15 % lower", from a relative harm. */
function relativeHarm(lower: number, higherIsBetter: boolean): string {
  if (higherIsBetter) {
    return `it is at least ${formatRelative(lower)} lower than the baseline's`;
  }
  return lower >= 1
    ? `it is at least ${formatNumber(1 + lower)}x the baseline's`
    : `it is at least ${formatRelative(lower)} higher than the baseline's`;
}

/** Mixture concentration of the Poisson test so that it is most sensitive near `scale` (relative). */
function countConcentration(scale: number, rhoCanary: number): number {
  return Math.max(1, 1 / (scale * scale * rhoCanary * (1 - rhoCanary)) - 1);
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
  const { name, margin, critical, maxRate, maxRatio } = definition;
  const rollbackMargin = definition.rollbackMargin ?? 0;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const tau2 = msprtTau2ForMargin(margin, levels.promote);
  const key = JSON.stringify([
    'proportion',
    higherIsBetter,
    tau2,
    levels,
    maxRate ?? null,
    maxRatio ?? null,
  ]);
  const prior = continuing(previous, key, canary.total, baseline.total);
  const look = (prior?.looks ?? 0) + 1;
  const restarts = prior?.restarts ?? [];
  const series: SeriesCounts = {
    canary: { count: canary.count, total: canary.total },
    baseline: { count: baseline.count, total: baseline.total },
  };
  // The ceilings are checks of their own: the regression level is split across all checks.
  const checks =
    1 + (maxRate === undefined ? 0 : 1) + (maxRatio === undefined ? 0 : 1);
  const failLevel = levels.fail / checks;
  // A regression is established on the difference of the rates (the mSPRT, tuned to the margin)
  // and, without a rollback margin, also on their ratio with the Poisson-process test, which is
  // exact for rare events and quick on large regressions.
  const difference = rateDifferenceTest(higherIsBetter ? -1 : 1, tau2);
  const failTests: FailTest[] = [
    { test: difference, above: rollbackMargin, relative: false },
  ];
  if (rollbackMargin === 0) {
    failTests.push({
      test: rateRatioTest(
        higherIsBetter,
        countConcentration(REGRESSION_SCALE, exposureShare(series)),
      ),
      above: 0,
      relative: true,
    });
  }
  const judged = judgeSeries(
    { promote: difference, fail: failTests },
    series,
    restarts,
    0,
    look,
    { promote: levels.promote, fail: failLevel },
    margin,
  );
  const relative = judged.failing?.relative ?? false;
  const state: MetricJudgeState = {
    key,
    looks: look,
    canaryN: canary.total,
    baselineN: baseline.total,
    restarts: nextRestarts(restarts, look, [series]),
  };
  const newData = canary.total > (previous?.canaryN ?? 0);
  const base = {
    metric: name,
    critical: Boolean(critical),
    unit: 'fraction',
    threshold: margin,
    rollbackThreshold: rollbackMargin,
  };
  const ceiling =
    !judged.failing && ceilingVerdict(definition, series, failLevel);
  if (ceiling) return { verdict: { ...base, ...ceiling }, state, newData };
  const decidingSeries = judged.failing?.series ?? series;
  const [rateCanary, rateBaseline] = [
    rate(decidingSeries.canary),
    rate(decidingSeries.baseline),
  ];
  const worse = higherIsBetter ? 'drop' : 'increase';
  const head = `canary ${name} is ${formatPercent(
    rateCanary,
  )} vs ${formatPercent(rateBaseline)} on baseline (${relativeText(
    rateCanary,
    rateBaseline,
  )})`;
  const marginText = `the margin of ${formatPoints(margin)}`;
  const interval = judged.failing?.interval ?? judged.promote;
  const level = judged.failing ? judged.failing.alpha : levels.promote;
  const sure = formatConfidence(1 - level);
  let explanation: string;
  if (judged.failing) {
    const shown = relative
      ? relativeHarm(interval.lower, higherIsBetter)
      : `the ${worse} is at least ${formatPoints(interval.lower)}${
          rollbackMargin > 0
            ? ` (rollback margin ${formatPoints(rollbackMargin)})`
            : ''
        }`;
    const atLeast = `${sure} sure ${shown}: ${action(critical)}`;
    explanation = failExplanation(
      head,
      atLeast,
      judged.failing.start,
      look,
      ` (${formatPercent(rate(series.canary))} vs ${formatPercent(
        rate(series.baseline),
      )} over the whole stage)`,
    );
  } else if (judged.verdict === 'pass') {
    explanation =
      interval.upper <= 0
        ? `${head}; ${sure} sure it is no worse, within ${marginText}`
        : `${head}; ${sure} sure any ${worse} is below ${marginText} (at most ${formatPoints(
            interval.upper,
          )})`;
  } else if (judged.recentWorse && interval.upper < margin) {
    explanation = `${head}; ${sure} sure any ${worse} over the stage is below ${marginText}, but ${sinceLook(
      judged.recentWorse.start,
      look,
    )} it is ${formatPoints(
      judged.recentWorse.estimate,
    )}: waiting to see whether the canary got worse`;
  } else {
    explanation = `${head}; the ${worse} could still be up to ${formatPoints(
      interval.upper,
    )} (${sure} sure), not yet below ${marginText}: waiting for more data`;
  }
  const { canary: dc, baseline: db } = decidingSeries;
  const z = twoProportionZTest(dc.count, dc.total, db.count, db.total);
  const ratioFail = judged.failing !== undefined && relative;
  const rule = ratioFail ? 'poisson-mixture' : 'msprt';
  return {
    verdict: {
      ...base,
      rule:
        judged.failing && judged.failing.start > 1 ? `${rule}-restarted` : rule,
      verdict: judged.verdict,
      // A regression shown on the ratio is stated as a relative change of the rate.
      scale: ratioFail ? 'relative' : 'absolute',
      estimate: ratioFail
        ? interval.estimate * (higherIsBetter ? -1 : 1)
        : rateCanary - rateBaseline,
      ...(ratioFail && { threshold: undefined }),
      baseline: rateBaseline,
      canary: rateCanary,
      interval: displayed(interval, higherIsBetter),
      confidenceLevel: 1 - level,
      pValue: interval.pValue,
      sampleSize: {
        baseline: decidingSeries.baseline.total,
        canary: decidingSeries.canary.total,
      },
      classical: {
        method:
          'two-proportion z-test and Newcombe interval (fixed horizon, display only)',
        pValue: z.pValue,
        interval: newcombeInterval(
          dc.count,
          dc.total,
          db.count,
          db.total,
          level,
        ),
      },
      explanation,
    },
    state,
    newData,
  };
}

/**
 * The hard ceilings of a lower-is-better proportion, on the whole stage: the canary's own rate
 * above `maxRate`, or above `maxRatio` times the baseline's. The first one shown is returned.
 */
function ceilingVerdict(
  definition: ProportionMetricDefinition,
  series: SeriesCounts,
  level: number,
): Omit<MetricVerdict, 'metric'> | undefined {
  const { name, critical, maxRate, maxRatio } = definition;
  const sure = formatConfidence(1 - level);
  const sampleSize = {
    baseline: series.baseline.total,
    canary: series.canary.total,
  };
  const rates = {
    canary: rate(series.canary),
    baseline: rate(series.baseline),
  };
  if (maxRate !== undefined) {
    const test = rateAboveLimitTest(
      maxRate,
      msprtTau2ForMargin(maxRate / 2, level),
    );
    const interval = test(series, level);
    if (interval.lower > 0) {
      return {
        rule: 'max-rate',
        verdict: 'fail',
        scale: 'absolute',
        estimate: rates.canary,
        ...rates,
        threshold: maxRate,
        interval: [interval.lower + maxRate, interval.upper + maxRate],
        confidenceLevel: 1 - level,
        sampleSize,
        explanation: `canary ${name} is ${formatPercent(rates.canary)} of ${
          series.canary.total
        }; ${sure} sure it is above the ceiling of ${formatPercent(
          maxRate,
        )} (at least ${formatPercent(interval.lower + maxRate)}): ${action(
          critical,
        )}`,
      };
    }
  }
  if (maxRatio !== undefined) {
    const rhoCanary =
      series.canary.total / (series.canary.total + series.baseline.total);
    const test = rateRatioTest(
      false,
      countConcentration(Math.max(0.1, maxRatio - 1), rhoCanary),
    );
    const interval = test(series, level);
    if (interval.lower > maxRatio - 1) {
      return {
        rule: 'max-ratio',
        verdict: 'fail',
        scale: 'relative',
        estimate: interval.estimate,
        ...rates,
        threshold: maxRatio - 1,
        interval: [interval.lower, interval.upper],
        confidenceLevel: 1 - level,
        pValue: interval.pValue,
        sampleSize,
        explanation: `canary ${name} is ${formatPercent(
          rates.canary,
        )} vs ${formatPercent(
          rates.baseline,
        )} on baseline; ${sure} sure it is more than ${formatNumber(
          maxRatio,
        )}x the baseline's (at least ${formatNumber(
          1 + interval.lower,
        )}x): ${action(critical)}`,
      };
    }
  }
  return undefined;
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
  const key = JSON.stringify(['count', higherIsBetter, margin ?? null, levels]);
  const prior = continuing(previous, key, canary.exposure, baseline.exposure);
  const look = (prior?.looks ?? 0) + 1;
  const restarts = prior?.restarts ?? [];
  const series: SeriesCounts = {
    canary: { count: canary.events, total: canary.exposure },
    baseline: { count: baseline.events, total: baseline.exposure },
  };
  const rhoCanary = canary.exposure / (canary.exposure + baseline.exposure);
  const ratioTest = rateRatioTest(
    higherIsBetter,
    countConcentration(margin ?? 1, rhoCanary),
  );
  const judged = judgeSeries(
    {
      promote: ratioTest,
      fail: [{ test: ratioTest, above: rollbackMargin, relative: true }],
    },
    series,
    restarts,
    0,
    look,
    levels,
    margin,
  );
  const deciding = judged.failing?.series ?? series;
  const interval = judged.failing?.interval ?? judged.promote;
  const level = judged.failing ? judged.failing.alpha : levels.promote;
  const sure = formatConfidence(1 - level);
  const worse = higherIsBetter ? 'lower' : 'higher';
  const rateRatio =
    deciding.baseline.count === 0
      ? undefined
      : rate(deciding.canary) / rate(deciding.baseline);
  const counted = `(${deciding.canary.count} vs ${deciding.baseline.count} events)`;
  let head = `canary ${name} rate is above zero, none on baseline ${counted}`;
  if (deciding.baseline.count === 0 && deciding.canary.count === 0) {
    head = `no ${name} in either arm yet`;
  } else if (rateRatio !== undefined) {
    head = `canary ${name} rate is ${formatNumber(
      rateRatio,
    )}x the baseline's ${counted}`;
  }
  let explanation: string;
  if (judged.failing) {
    const atLeast =
      !higherIsBetter && interval.lower >= 1
        ? `${formatNumber(1 + interval.lower)}x the baseline's rate`
        : `${formatRelative(interval.lower)} ${worse}`;
    const claim = `${sure} sure it is at least ${atLeast}: ${action(critical)}`;
    explanation = failExplanation(head, claim, judged.failing.start, look);
  } else if (margin === undefined) {
    explanation = `${head}; no regression established (${name} has no margin: it only watches for regressions)`;
  } else if (judged.verdict === 'pass') {
    explanation = `${head}; ${sure} sure it is less than ${formatRelative(
      margin,
    )} ${worse}, within the margin`;
  } else if (!Number.isFinite(interval.upper)) {
    explanation = `${head}; too few events yet to bound the rate: waiting for more data`;
  } else {
    explanation = `${head}; it could still be up to ${formatRelative(
      interval.upper,
    )} ${worse} (${sure} sure), beyond the margin of ${formatRelative(
      margin,
    )}: waiting for more data`;
  }
  return {
    verdict: {
      metric: name,
      rule:
        judged.failing && judged.failing.start > 1
          ? 'poisson-mixture-restarted'
          : 'poisson-mixture',
      verdict: judged.verdict,
      scale: 'relative',
      estimate: rateRatio === undefined ? undefined : rateRatio - 1,
      baseline: rate(deciding.baseline),
      canary: rate(deciding.canary),
      threshold: margin,
      rollbackThreshold: rollbackMargin,
      interval: displayed(interval, higherIsBetter),
      confidenceLevel: 1 - level,
      pValue: interval.pValue,
      sampleSize: {
        baseline: deciding.baseline.total,
        canary: deciding.canary.total,
      },
      critical: Boolean(critical),
      explanation,
    },
    state: {
      key,
      looks: look,
      canaryN: canary.exposure,
      baselineN: baseline.exposure,
      restarts: nextRestarts(restarts, look, [series]),
    },
    newData: canary.exposure > (previous?.canaryN ?? 0),
  };
}

/** A histogram's buckets must match across the arms for their shares to be compared. */
function assertSameBuckets(
  canary: PreparedDistribution,
  baseline: PreparedDistribution,
) {
  if (canary.kind !== baseline.kind) {
    throw new StatisticsInputError(
      'the canary and the baseline must both send samples or both histograms',
    );
  }
  if (
    canary.kind === 'histogram' &&
    baseline.kind === 'histogram' &&
    canary.bounds.join() !== baseline.bounds.join()
  ) {
    throw new StatisticsInputError(
      "the canary's and the baseline's histograms have different buckets",
    );
  }
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
  assertSameBuckets(c, b);
  const { name, margin, critical, unit, max } = definition;
  const rollbackMargin = definition.rollbackMargin ?? 0;
  const higherIsBetter = definition.direction === 'higher-is-better';
  const ps = definition.quantiles ?? DEFAULT_QUANTILES;
  const key = JSON.stringify([
    'distribution',
    higherIsBetter,
    ps,
    levels,
    margin ?? null,
    rollbackMargin,
    max ?? null,
  ]);
  const prior = continuing(previous, key, c.n, b.n);
  const look = (prior?.looks ?? 0) + 1;
  const restarts = prior?.restarts ?? [];
  const thresholds =
    prior?.thresholds ??
    ps.map(p => chooseThreshold(b, p, higherIsBetter, margin, rollbackMargin));
  const series: SeriesCounts[] = thresholds.map(t => ({
    canary: { count: countBeyond(c, t.value, higherIsBetter), total: c.n },
    baseline: { count: countBeyond(b, t.value, higherIsBetter), total: b.n },
  }));
  // Bonferroni across the watched quantiles (and their ceilings) for establishing harm.
  const checks = ps.length * (max === undefined ? 1 : 2);
  const failLevel = levels.fail / checks;
  const perQuantile = thresholds.map((t, i) => {
    const share = higherIsBetter ? t.p : 1 - t.p;
    // The mixture is tuned to the translated margin, or to a fifth of the quantile's share.
    const tau2 = msprtTau2ForMargin(
      t.margin && t.margin > 0 ? t.margin : share / 5,
      levels.promote,
    );
    return {
      threshold: t,
      series: series[i],
      judged: judgeSeries(
        {
          promote: rateDifferenceTest(1, tau2),
          fail: [
            {
              test: rateDifferenceTest(1, tau2),
              above: t.rollbackMargin,
              relative: false,
            },
          ],
        },
        series[i],
        restarts,
        i,
        look,
        { promote: levels.promote, fail: failLevel },
        margin === undefined ? undefined : t.margin ?? 0,
      ),
    };
  });
  const state: MetricJudgeState = {
    key,
    looks: look,
    canaryN: c.n,
    baselineN: b.n,
    restarts: nextRestarts(restarts, look, series),
    thresholds,
  };
  const newData = c.n > (previous?.canaryN ?? 0);
  const base = { metric: name, critical: Boolean(critical), unit: 'fraction' };
  const failing = perQuantile.find(q => q.judged.failing);
  const ceiling =
    !failing && max !== undefined && !higherIsBetter
      ? distributionCeiling(definition, c, b, ps, failLevel)
      : undefined;
  if (ceiling) return { verdict: { ...base, ...ceiling }, state, newData };
  // The quantile that decides: a failing one, else the one furthest from passing.
  const open = (q: (typeof perQuantile)[number]) =>
    q.judged.promote.upper - (q.threshold.margin ?? 0);
  const deciding =
    failing ??
    perQuantile.find(
      q => q.judged.verdict === 'inconclusive' && q.judged.recentWorse,
    ) ??
    perQuantile.reduce((a, q) => (open(q) > open(a) ? q : a));
  let verdict: VerdictKind = 'inconclusive';
  if (failing) verdict = 'fail';
  else if (perQuantile.every(q => q.judged.verdict === 'pass'))
    verdict = 'pass';
  const { threshold: t, judged } = deciding;
  const decidingSeries = judged.failing?.series ?? deciding.series;
  const shares = {
    canary: rate(decidingSeries.canary),
    baseline: rate(decidingSeries.baseline),
  };
  const q = quantileName(t.p);
  const side = higherIsBetter
    ? `at or below ${formatValue(t.value, unit)}`
    : `slower than ${formatValue(t.value, unit)}`;
  const quantiles = {
    canary: quantileEstimate(c, t.p),
    baseline: quantileEstimate(b, t.p),
  };
  const head = `canary ${q} ${name} is ${formatValue(
    quantiles.canary,
    unit,
  )} vs ${formatValue(quantiles.baseline, unit)} on baseline; ${formatPercent(
    shares.canary,
  )} of canary observations are ${side} vs ${formatPercent(
    shares.baseline,
  )} on baseline (the baseline's ${q} boundary)`;
  const interval = judged.failing?.interval ?? judged.promote;
  const level = judged.failing ? judged.failing.alpha : levels.promote;
  const sure = formatConfidence(1 - level);
  const marginText =
    t.margin === undefined
      ? ''
      : `the ${formatPoints(t.margin)} a canary ${formatRelative(margin!)} ${
          higherIsBetter ? 'lower' : 'slower'
        } would add`;
  let explanation: string;
  if (judged.failing) {
    const claim = `${sure} sure at least ${formatPoints(
      interval.lower,
    )} more are ${side}: ${action(critical)}`;
    explanation = failExplanation(head, claim, judged.failing.start, look);
  } else if (margin === undefined) {
    explanation = `${head}; no regression established on ${ps
      .map(quantileName)
      .join(', ')} (${name} has no margin: it only watches for regressions)`;
  } else if (verdict === 'pass') {
    explanation = `${head}; ${sure} sure at most ${formatPoints(
      Math.max(0, interval.upper),
    )} more are ${side}, below ${marginText}`;
  } else if (judged.recentWorse && interval.upper < (t.margin ?? 0)) {
    explanation = `${head}; ${sure} sure the increase over the stage is below ${marginText}, but ${sinceLook(
      judged.recentWorse.start,
      look,
    )} it is ${formatPoints(
      judged.recentWorse.estimate,
    )}: waiting to see whether the canary got worse`;
  } else {
    explanation = `${head}; up to ${formatPoints(
      interval.upper,
    )} more could still be ${side} (${sure} sure), not yet below ${marginText}: waiting for more data`;
  }
  return {
    verdict: {
      ...base,
      rule:
        judged.failing && judged.failing.start > 1
          ? 'tail-share-restarted'
          : 'tail-share',
      verdict,
      scale: 'absolute',
      estimate: shares.canary - shares.baseline,
      ...shares,
      threshold: t.margin,
      rollbackThreshold: t.rollbackMargin,
      interval: displayed(interval, false),
      confidenceLevel: 1 - level,
      pValue: interval.pValue,
      sampleSize: {
        baseline: decidingSeries.baseline.total,
        canary: decidingSeries.canary.total,
      },
      tail: {
        p: t.p,
        threshold: t.value,
        ...(unit && { unit }),
        direction: higherIsBetter ? 'at-or-below' : 'above',
        baselineQuantile: quantiles.baseline,
        canaryQuantile: quantiles.canary,
      },
      explanation,
    },
    state,
    newData,
  };
}

/** A distribution's ceiling: some watched quantile of the canary shown above `max`. */
function distributionCeiling(
  definition: DistributionMetricDefinition,
  canary: PreparedDistribution,
  baseline: PreparedDistribution,
  ps: number[],
  level: number,
): Omit<MetricVerdict, 'metric'> | undefined {
  const { name, unit, critical } = definition;
  const max = definition.max!;
  const boundary = limitBoundary(canary, max);
  if (boundary === undefined) return undefined;
  const sure = formatConfidence(1 - level);
  for (const p of ps) {
    const limit = 1 - p;
    const series: SeriesCounts = {
      canary: { count: countBeyond(canary, boundary, false), total: canary.n },
      baseline: {
        count: countBeyond(baseline, boundary, false),
        total: baseline.n,
      },
    };
    const interval = rateAboveLimitTest(
      limit,
      msprtTau2ForMargin(limit / 2, level),
    )(series, level);
    if (interval.lower > 0) {
      const share = rate(series.canary);
      return {
        rule: 'max-quantile',
        verdict: 'fail',
        scale: 'absolute',
        estimate: share,
        canary: share,
        baseline: rate(series.baseline),
        threshold: limit,
        interval: [interval.lower + limit, interval.upper + limit],
        confidenceLevel: 1 - level,
        sampleSize: { baseline: baseline.n, canary: canary.n },
        explanation: `${formatPercent(
          share,
        )} of canary ${name} observations are above ${formatValue(
          boundary,
          unit,
        )}; ${sure} sure more than ${formatPercent(
          limit,
        )} are, so its ${quantileName(p)} is above the ceiling of ${formatValue(
          max,
          unit,
        )}: ${action(critical)}`,
      };
    }
  }
  return undefined;
}

/** c / b for non-negative values, with 0/0 = 1 (no change). */
function ratio(c: number, b: number): number {
  if (b === 0) return c === 0 ? 1 : Infinity;
  return c / b;
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
