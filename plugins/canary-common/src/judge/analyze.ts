import type { MetricVerdict, PolicyAction } from '../model';
import { judgeLook } from './judge';
import { AnalysisInputError, definitionProblems } from './validation';
import type {
  JudgeDecision,
  JudgeState,
  MetricDefinition,
  MetricLookData,
} from './types';

/**
 * Size limits of an analysis request; a larger request is refused with an AnalysisInputError.
 *
 * @public
 */
export const ANALYSIS_LIMITS = {
  maxMetrics: 20,
  maxLooks: 1000,
  /** Raw values per arm in one look (looks are cumulative). */
  maxSamplesPerArm: 100_000,
  /** Raw values and histogram buckets over the whole request. */
  maxTotalValues: 2_000_000,
  maxHistogramBuckets: 1000,
  maxNameLength: 100,
  /** At most this many problems are listed in an error. */
  maxProblems: 50,
} as const;

/** A metric definition with its looks: cumulative data per arm, one entry per look. @public */
export type AnalysisMetric = MetricDefinition & { looks: MetricLookData[] };

/**
 * The body of `POST /api/canary/analyze`: metric definitions and their looks, plus how a stage
 * is bounded, in looks (the stateless judge has no clock).
 *
 * @public
 */
export interface AnalysisRequest {
  /** Default 0.05. */
  alpha?: number;
  /** Every metric must have the same number of looks. */
  metrics: AnalysisMetric[];
  /** Promotion is possible from this look on (1-based); default 1. */
  minLooks?: number;
  /** From this look on (1-based) the stage's maximum duration is reached; default never. */
  maxLooks?: number;
  /** Canary trials (proportions) or observations (distributions) each metric needs before a promotion; default 0. */
  minSampleSize?: number;
  /** Default `pause`. */
  inconclusiveAction?: PolicyAction;
  /** Default `pause`. */
  noDataAction?: PolicyAction;
  /** Consecutive looks without new canary data before the no-data action; default 3. */
  maxConsecutiveNoData?: number;
}

/** A verdict as the analysis answer lists it. @public */
export interface AnalysisMetricResult extends MetricVerdict {
  /** The metric's name (same as `metric`). */
  name: string;
}

/** @public */
export interface AnalysisLookResult {
  /** 1-based. */
  look: number;
  decision: JudgeDecision;
  reason: string;
  metrics: AnalysisMetricResult[];
}

/** @public */
export interface AnalysisResponse {
  alpha: number;
  looks: AnalysisLookResult[];
  /** The first look whose decision is not `continue` (what the engine would act on), else the last look. */
  outcome: { decision: JudgeDecision; look: number; reason: string };
}

/**
 * The stateless judge behind `POST /api/canary/analyze`: runs the judge over every look, carrying
 * its state from look to look, exactly as the engine does within one stage. Every look is judged,
 * also after a decision the engine would act on. Throws AnalysisInputError listing every problem of
 * an invalid request (negative counts, counts above totals, histograms whose buckets do not match,
 * cumulative values that decrease, non-finite numbers, requests beyond ANALYSIS_LIMITS).
 *
 * @public
 */
export function analyze(request: AnalysisRequest): AnalysisResponse {
  const problems = requestProblems(request);
  if (problems.length) {
    throw new AnalysisInputError(
      problems.slice(0, ANALYSIS_LIMITS.maxProblems),
    );
  }
  const alpha = request.alpha ?? 0.05;
  const minLooks = request.minLooks ?? 1;
  const minSampleSize = request.minSampleSize ?? 0;
  const lookCount = request.metrics[0].looks.length;
  const config = {
    metrics: request.metrics.map(
      ({ looks: _looks, ...definition }) => definition,
    ),
    alpha,
    inconclusiveAction: request.inconclusiveAction,
    noDataAction: request.noDataAction,
    maxConsecutiveNoData: request.maxConsecutiveNoData,
  };
  const looks: AnalysisLookResult[] = [];
  let state: JudgeState | undefined;
  for (let i = 0; i < lookCount; i++) {
    const data: Record<string, MetricLookData> = {};
    for (const metric of request.metrics) data[metric.name] = metric.looks[i];
    const result = judgeLook(
      config,
      {
        metrics: data,
        minDurationReached: i + 1 >= minLooks,
        maxDurationReached:
          request.maxLooks !== undefined && i + 1 >= request.maxLooks,
        minSampleSizeReached: request.metrics.every(
          m => canarySize(m, m.looks[i]) >= minSampleSize,
        ),
      },
      state,
    );
    state = result.state;
    looks.push({
      look: i + 1,
      decision: result.decision,
      reason: result.reason,
      metrics: result.verdicts.map(v => ({ name: v.metric, ...v })),
    });
  }
  const acted =
    looks.find(l => l.decision !== 'continue') ?? looks[looks.length - 1];
  return {
    alpha,
    looks,
    outcome: {
      decision: acted.decision,
      look: acted.look,
      reason: acted.reason,
    },
  };
}

/** Canary observations counted against minSampleSize (counts and gauges have none: Infinity). */
function canarySize(metric: AnalysisMetric, look: MetricLookData): number {
  const canary = look.canary as Record<string, any> | undefined;
  if (metric.kind === 'proportion') return canary?.total ?? 0;
  if (metric.kind === 'distribution') {
    if (!canary) return 0;
    return canary.samples
      ? canary.samples.length
      : (canary.histogram.counts as number[]).reduce((a, b) => a + b, 0);
  }
  return Infinity;
}

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const finite = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const count = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0;

/** Every problem of a request (empty when it is valid). */
function requestProblems(request: unknown): string[] {
  if (!isObject(request)) return ['the request must be a JSON object'];
  const problems: string[] = [];
  const { alpha, metrics } = request;
  if (alpha !== undefined && !(finite(alpha) && alpha > 0 && alpha < 0.5)) {
    problems.push('alpha: must be a number in (0, 0.5)');
  }
  for (const field of ['minLooks', 'maxLooks', 'maxConsecutiveNoData']) {
    const value = request[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      problems.push(`${field}: must be an integer >= 1`);
    }
  }
  if (request.minSampleSize !== undefined && !count(request.minSampleSize)) {
    problems.push('minSampleSize: must be an integer >= 0');
  }
  for (const field of ['inconclusiveAction', 'noDataAction']) {
    const value = request[field];
    if (value !== undefined && value !== 'pause' && value !== 'rollback') {
      problems.push(`${field}: must be pause or rollback`);
    }
  }
  if (Array.isArray(metrics) && metrics.length > ANALYSIS_LIMITS.maxMetrics) {
    return [
      ...problems,
      `metrics: at most ${ANALYSIS_LIMITS.maxMetrics} metrics, got ${metrics.length}`,
    ];
  }
  const definitions = definitionProblems(metrics);
  problems.push(...definitions);
  if (definitions.length) return problems;
  let lookCount: number | undefined;
  const budget = { values: 0 };
  (metrics as unknown[]).forEach((metric, i) => {
    const m = metric as AnalysisMetric;
    const at = `metrics[${i}]`;
    if (m.name.length > ANALYSIS_LIMITS.maxNameLength) {
      problems.push(
        `${at}.name: at most ${ANALYSIS_LIMITS.maxNameLength} characters`,
      );
    }
    if (!Array.isArray(m.looks) || m.looks.length === 0) {
      problems.push(`${at}.looks: at least one look is needed`);
      return;
    }
    if (m.looks.length > ANALYSIS_LIMITS.maxLooks) {
      problems.push(
        `${at}.looks: at most ${ANALYSIS_LIMITS.maxLooks} looks, got ${m.looks.length}`,
      );
      return;
    }
    if (lookCount === undefined) lookCount = m.looks.length;
    else if (m.looks.length !== lookCount) {
      problems.push(
        `${at}.looks: every metric needs the same number of looks (${lookCount}), got ${m.looks.length}`,
      );
    }
    problems.push(...lookProblems(m, at, budget));
  });
  if (budget.values > ANALYSIS_LIMITS.maxTotalValues) {
    problems.push(
      `the request holds ${budget.values} values and buckets, more than ${ANALYSIS_LIMITS.maxTotalValues}`,
    );
  }
  return problems;
}

/** Problems of one metric's looks, including cumulative values that decrease. */
function lookProblems(
  metric: AnalysisMetric,
  at: string,
  budget: { values: number },
): string[] {
  const problems: string[] = [];
  const last: Record<string, any> = {};
  metric.looks.forEach((look: unknown, i) => {
    if (!isObject(look)) {
      problems.push(
        `${at}.looks[${i}]: must be an object with baseline and canary`,
      );
      return;
    }
    for (const arm of ['baseline', 'canary'] as const) {
      const data = look[arm];
      if (data === undefined || data === null) continue;
      const where = `${at}.looks[${i}].${arm}`;
      if (!isObject(data)) {
        problems.push(`${where}: must be an object`);
        continue;
      }
      const before = last[arm];
      const armProblems = armDataProblems(metric, data, before, where, budget);
      problems.push(...armProblems);
      if (!armProblems.length) last[arm] = data;
    }
  });
  return problems;
}

function armDataProblems(
  metric: AnalysisMetric,
  data: Record<string, any>,
  before: Record<string, any> | undefined,
  where: string,
  budget: { values: number },
): string[] {
  const problems: string[] = [];
  const nonDecreasing = (field: string) => {
    if (before && data[field] < before[field]) {
      problems.push(
        `${where}.${field}: cumulative values cannot decrease (${before[field]} before, ${data[field]} now)`,
      );
    }
  };
  switch (metric.kind) {
    case 'proportion': {
      if (!count(data.count))
        problems.push(`${where}.count: must be an integer >= 0`);
      if (!count(data.total))
        problems.push(`${where}.total: must be an integer >= 0`);
      if (problems.length) return problems;
      if (data.count > data.total) {
        problems.push(
          `${where}.count: ${data.count} is more than total ${data.total}`,
        );
      }
      nonDecreasing('count');
      nonDecreasing('total');
      return problems;
    }
    case 'count': {
      if (!count(data.events))
        problems.push(`${where}.events: must be an integer >= 0`);
      if (!(finite(data.exposure) && data.exposure >= 0)) {
        problems.push(`${where}.exposure: must be a finite number >= 0`);
      }
      if (problems.length) return problems;
      if (data.events > 0 && data.exposure === 0) {
        problems.push(`${where}.exposure: events without exposure`);
      }
      nonDecreasing('events');
      nonDecreasing('exposure');
      return problems;
    }
    case 'distribution':
      return distributionProblems(data, before, where, budget);
    default:
      if (!finite(data.value))
        problems.push(`${where}.value: must be a finite number`);
      return problems;
  }
}

function distributionProblems(
  data: Record<string, any>,
  before: Record<string, any> | undefined,
  where: string,
  budget: { values: number },
): string[] {
  const hasSamples = data.samples !== undefined;
  const hasHistogram = data.histogram !== undefined;
  if (hasSamples === hasHistogram) {
    return [`${where}: give either samples or histogram`];
  }
  if (hasSamples) {
    const samples = data.samples;
    if (!Array.isArray(samples)) return [`${where}.samples: must be an array`];
    if (samples.length > ANALYSIS_LIMITS.maxSamplesPerArm) {
      return [
        `${where}.samples: at most ${ANALYSIS_LIMITS.maxSamplesPerArm} values per arm and look, got ${samples.length}`,
      ];
    }
    budget.values += samples.length;
    const bad = samples.findIndex(v => !(finite(v) && v >= 0));
    if (bad >= 0) {
      return [
        `${where}.samples[${bad}]: must be a finite number >= 0, got ${samples[bad]}`,
      ];
    }
    if (before?.samples && samples.length < before.samples.length) {
      return [
        `${where}.samples: cumulative samples cannot shrink (${before.samples.length} before, ${samples.length} now)`,
      ];
    }
    if (before?.histogram)
      return [`${where}: switches from histogram to samples`];
    return [];
  }
  const histogram = data.histogram;
  if (
    !isObject(histogram) ||
    !Array.isArray(histogram.bounds) ||
    !Array.isArray(histogram.counts)
  ) {
    return [`${where}.histogram: needs bounds and counts arrays`];
  }
  const { bounds, counts } = histogram as {
    bounds: unknown[];
    counts: unknown[];
  };
  if (counts.length > ANALYSIS_LIMITS.maxHistogramBuckets) {
    return [
      `${where}.histogram: at most ${ANALYSIS_LIMITS.maxHistogramBuckets} buckets`,
    ];
  }
  budget.values += counts.length;
  if (counts.length !== bounds.length + 1) {
    return [
      `${where}.histogram: needs one more count than bounds (the last bucket is open), got ${bounds.length} bounds and ${counts.length} counts`,
    ];
  }
  const problems: string[] = [];
  bounds.forEach((b, i) => {
    if (!(finite(b) && b >= 0))
      problems.push(
        `${where}.histogram.bounds[${i}]: must be a finite number >= 0`,
      );
    else if (i > 0 && !(b > (bounds[i - 1] as number))) {
      problems.push(`${where}.histogram.bounds: must increase strictly`);
    }
  });
  counts.forEach((c, i) => {
    if (!count(c))
      problems.push(`${where}.histogram.counts[${i}]: must be an integer >= 0`);
  });
  if (problems.length) return problems;
  if (before?.samples) return [`${where}: switches from samples to histogram`];
  const previous = before?.histogram as
    | { bounds: number[]; counts: number[] }
    | undefined;
  if (previous) {
    if (
      previous.bounds.length !== bounds.length ||
      previous.bounds.some((b, i) => b !== bounds[i])
    ) {
      return [
        `${where}.histogram.bounds: differ from the previous look's buckets`,
      ];
    }
    const shrinking = counts.findIndex(
      (c, i) => (c as number) < previous.counts[i],
    );
    if (shrinking >= 0) {
      return [
        `${where}.histogram.counts[${shrinking}]: cumulative counts cannot decrease (${previous.counts[shrinking]} before, ${counts[shrinking]} now)`,
      ];
    }
  }
  return problems;
}
