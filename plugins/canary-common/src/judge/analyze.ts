import type { MetricVerdict, PolicyAction } from '../model';
import { judgeLook } from './judge';
import {
  AnalysisInputError,
  definitionProblems,
  describe,
  METRIC_BASE_FIELDS,
  METRIC_FIELDS,
  quote,
} from './validation';
import type {
  JudgeDecision,
  JudgeState,
  MetricDefinition,
  MetricKind,
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
  /** Also of a metric's `unit`. */
  maxNameLength: 100,
  /** At most this many problems are listed in an error; the others are only counted. */
  maxProblems: 20,
  /**
   * Nesting of arrays and objects in the JSON text: a request's deepest value, a histogram's
   * bound, is at depth 8 (request, metrics, metric, looks, look, arm, histogram, bounds).
   */
  maxDepth: 8,
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

/** The problems found so far: the first ANALYSIS_LIMITS.maxProblems in full, the others counted. */
class Problems {
  readonly listed: string[] = [];
  unlisted = 0;

  add(problem: string) {
    if (this.listed.length < ANALYSIS_LIMITS.maxProblems) {
      this.listed.push(problem);
    } else {
      this.unlisted++;
    }
  }

  get count() {
    return this.listed.length + this.unlisted;
  }
}

/**
 * The stateless judge behind `POST /api/canary/analyze`: runs the judge over every look, carrying
 * its state from look to look, exactly as the engine does within one stage. Every look is judged,
 * also after a decision the engine would act on. Throws AnalysisInputError listing the problems of
 * an invalid request (unknown fields, negative counts, counts above totals, histograms whose
 * buckets do not match, cumulative values that decrease, non-finite numbers, requests beyond
 * ANALYSIS_LIMITS).
 *
 * @public
 */
export function analyze(request: AnalysisRequest): AnalysisResponse {
  const problems = new Problems();
  requestProblems(request, problems);
  if (problems.count) {
    throw new AnalysisInputError(problems.listed, problems.unlisted);
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

/**
 * Parses the JSON text of an analysis request. Nesting deeper than any valid request's is refused
 * before JSON.parse builds it (deep nesting is what makes parsing, and anything recursive on the
 * result, slow or overflow the stack); so is text that is not JSON. Throws AnalysisInputError.
 *
 * @public
 */
export function parseAnalysisRequest(json: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* a backslash escapes the next character */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > ANALYSIS_LIMITS.maxDepth) {
        throw new AnalysisInputError([
          `the request nests arrays and objects deeper than ${ANALYSIS_LIMITS.maxDepth} levels (at character ${i})`,
        ]);
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new AnalysisInputError([
      `the request is not valid JSON: ${quote(
        String((error as Error).message),
      )}`,
    ]);
  }
}

const REQUEST_FIELDS: ReadonlyArray<keyof AnalysisRequest> = [
  'alpha',
  'metrics',
  'minLooks',
  'maxLooks',
  'minSampleSize',
  'inconclusiveAction',
  'noDataAction',
  'maxConsecutiveNoData',
];
const LOOK_FIELDS: ReadonlyArray<keyof MetricLookData> = ['baseline', 'canary'];
const ARM_FIELDS: Record<MetricKind, readonly string[]> = {
  proportion: ['count', 'total'],
  count: ['events', 'exposure'],
  distribution: ['samples', 'histogram'],
  gauge: ['value'],
};
const HISTOGRAM_FIELDS = ['bounds', 'counts'];

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const finite = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const count = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0;

/** Names every field of `value` that is not one of `known` (of `what`). */
function unknownFields(
  value: Record<string, unknown>,
  known: readonly string[],
  at: string,
  what: string,
  problems: Problems,
) {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const field = /^[A-Za-z_$][\w$]{0,79}$/.test(key)
      ? `${at ? `${at}.` : ''}${key}`
      : `${at}[${quote(key)}]`;
    problems.add(`${field}: not a field of ${what} (${known.join(', ')})`);
  }
}

/** Adds every problem of a request to `problems`. */
function requestProblems(request: unknown, problems: Problems) {
  if (!isObject(request)) {
    problems.add('the request must be a JSON object');
    return;
  }
  unknownFields(request, REQUEST_FIELDS, '', 'the request', problems);
  const { alpha, metrics } = request;
  if (alpha !== undefined && !(finite(alpha) && alpha > 0 && alpha < 0.5)) {
    problems.add('alpha: must be a number in (0, 0.5)');
  }
  for (const field of ['minLooks', 'maxLooks', 'maxConsecutiveNoData']) {
    const value = request[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      problems.add(`${field}: must be an integer >= 1`);
    }
  }
  if (request.minSampleSize !== undefined && !count(request.minSampleSize)) {
    problems.add('minSampleSize: must be an integer >= 0');
  }
  for (const field of ['inconclusiveAction', 'noDataAction']) {
    const value = request[field];
    if (value !== undefined && value !== 'pause' && value !== 'rollback') {
      problems.add(`${field}: must be pause or rollback`);
    }
  }
  if (Array.isArray(metrics) && metrics.length > ANALYSIS_LIMITS.maxMetrics) {
    problems.add(
      `metrics: at most ${ANALYSIS_LIMITS.maxMetrics} metrics, got ${metrics.length}`,
    );
    return;
  }
  const definitions = definitionProblems(metrics);
  definitions.forEach(problem => problems.add(problem));
  if (!Array.isArray(metrics)) return;
  metrics.forEach((metric: unknown, i) => {
    if (!isObject(metric)) return;
    const at = `metrics[${i}]`;
    const kind = metric.kind as MetricKind;
    if (METRIC_FIELDS[kind]) {
      unknownFields(
        metric,
        [...METRIC_BASE_FIELDS, ...METRIC_FIELDS[kind], 'looks'],
        at,
        `a ${kind} metric`,
        problems,
      );
    }
    if (typeof metric.name === 'string') {
      if (metric.name.length > ANALYSIS_LIMITS.maxNameLength) {
        problems.add(
          `${at}.name: at most ${ANALYSIS_LIMITS.maxNameLength} characters`,
        );
      }
    }
    if (
      metric.unit !== undefined &&
      !(
        typeof metric.unit === 'string' &&
        metric.unit.length <= ANALYSIS_LIMITS.maxNameLength
      )
    ) {
      problems.add(
        `${at}.unit: must be a string of at most ${ANALYSIS_LIMITS.maxNameLength} characters`,
      );
    }
  });
  if (definitions.length) return;
  let lookCount: number | undefined;
  const budget = { values: 0 };
  (metrics as AnalysisMetric[]).forEach((m, i) => {
    const at = `metrics[${i}]`;
    if (!Array.isArray(m.looks) || m.looks.length === 0) {
      problems.add(`${at}.looks: at least one look is needed`);
      return;
    }
    if (m.looks.length > ANALYSIS_LIMITS.maxLooks) {
      problems.add(
        `${at}.looks: at most ${ANALYSIS_LIMITS.maxLooks} looks, got ${m.looks.length}`,
      );
      return;
    }
    if (lookCount === undefined) lookCount = m.looks.length;
    else if (m.looks.length !== lookCount) {
      problems.add(
        `${at}.looks: every metric needs the same number of looks (${lookCount}), got ${m.looks.length}`,
      );
    }
    lookProblems(m, at, budget, problems);
  });
  if (budget.values > ANALYSIS_LIMITS.maxTotalValues) {
    problems.add(
      `the request holds ${budget.values} values and buckets, more than ${ANALYSIS_LIMITS.maxTotalValues}`,
    );
  }
}

/** Problems of one metric's looks, including cumulative values that decrease. */
function lookProblems(
  metric: AnalysisMetric,
  at: string,
  budget: { values: number },
  problems: Problems,
) {
  const last: Record<string, any> = {};
  metric.looks.forEach((look: unknown, i) => {
    if (!isObject(look)) {
      problems.add(
        `${at}.looks[${i}]: must be an object with baseline and canary`,
      );
      return;
    }
    unknownFields(look, LOOK_FIELDS, `${at}.looks[${i}]`, 'a look', problems);
    for (const arm of LOOK_FIELDS) {
      const data = look[arm];
      if (data === undefined || data === null) continue;
      const where = `${at}.looks[${i}].${arm}`;
      if (!isObject(data)) {
        problems.add(`${where}: must be an object`);
        continue;
      }
      const before = problems.count;
      unknownFields(
        data,
        ARM_FIELDS[metric.kind],
        where,
        `a ${metric.kind} metric's arm`,
        problems,
      );
      armDataProblems(metric, data, last[arm], where, budget, problems);
      if (problems.count === before) last[arm] = data;
    }
  });
}

function armDataProblems(
  metric: AnalysisMetric,
  data: Record<string, any>,
  before: Record<string, any> | undefined,
  where: string,
  budget: { values: number },
  problems: Problems,
) {
  const found = problems.count;
  const nonDecreasing = (field: string) => {
    if (before && data[field] < before[field]) {
      problems.add(
        `${where}.${field}: cumulative values cannot decrease (${before[field]} before, ${data[field]} now)`,
      );
    }
  };
  switch (metric.kind) {
    case 'proportion': {
      if (!count(data.count))
        problems.add(`${where}.count: must be an integer >= 0`);
      if (!count(data.total))
        problems.add(`${where}.total: must be an integer >= 0`);
      if (problems.count > found) return;
      if (data.count > data.total) {
        problems.add(
          `${where}.count: ${data.count} is more than total ${data.total}`,
        );
      }
      nonDecreasing('count');
      nonDecreasing('total');
      return;
    }
    case 'count': {
      if (!count(data.events))
        problems.add(`${where}.events: must be an integer >= 0`);
      if (!(finite(data.exposure) && data.exposure >= 0)) {
        problems.add(`${where}.exposure: must be a finite number >= 0`);
      }
      if (problems.count > found) return;
      if (data.events > 0 && data.exposure === 0) {
        problems.add(`${where}.exposure: events without exposure`);
      }
      nonDecreasing('events');
      nonDecreasing('exposure');
      return;
    }
    case 'distribution':
      distributionProblems(data, before, where, budget, problems);
      return;
    default:
      if (!finite(data.value))
        problems.add(`${where}.value: must be a finite number`);
  }
}

function distributionProblems(
  data: Record<string, any>,
  before: Record<string, any> | undefined,
  where: string,
  budget: { values: number },
  problems: Problems,
) {
  const hasSamples = data.samples !== undefined;
  const hasHistogram = data.histogram !== undefined;
  if (hasSamples === hasHistogram) {
    problems.add(`${where}: give either samples or histogram`);
    return;
  }
  if (hasSamples) {
    const problem = samplesProblem(data.samples, before, where, budget);
    if (problem) problems.add(problem);
    return;
  }
  const histogram = data.histogram;
  if (
    !isObject(histogram) ||
    !Array.isArray(histogram.bounds) ||
    !Array.isArray(histogram.counts)
  ) {
    problems.add(`${where}.histogram: needs bounds and counts arrays`);
    return;
  }
  const { bounds, counts } = histogram as {
    bounds: unknown[];
    counts: unknown[];
  };
  if (counts.length > ANALYSIS_LIMITS.maxHistogramBuckets) {
    problems.add(
      `${where}.histogram: at most ${ANALYSIS_LIMITS.maxHistogramBuckets} buckets`,
    );
    return;
  }
  budget.values += counts.length;
  if (counts.length !== bounds.length + 1) {
    problems.add(
      `${where}.histogram: needs one more count than bounds (the last bucket is open), got ${bounds.length} bounds and ${counts.length} counts`,
    );
    return;
  }
  const found = problems.count;
  unknownFields(
    histogram,
    HISTOGRAM_FIELDS,
    `${where}.histogram`,
    'a histogram',
    problems,
  );
  bounds.forEach((b, i) => {
    if (!(finite(b) && b >= 0))
      problems.add(
        `${where}.histogram.bounds[${i}]: must be a finite number >= 0, got ${describe(
          b,
        )}`,
      );
    else if (i > 0 && !(b > (bounds[i - 1] as number))) {
      problems.add(`${where}.histogram.bounds[${i}]: must increase strictly`);
    }
  });
  counts.forEach((c, i) => {
    if (!count(c))
      problems.add(
        `${where}.histogram.counts[${i}]: must be an integer >= 0, got ${describe(
          c,
        )}`,
      );
  });
  if (problems.count > found) return;
  if (before?.samples) {
    problems.add(`${where}: switches from samples to histogram`);
    return;
  }
  const previous = before?.histogram as
    | { bounds: number[]; counts: number[] }
    | undefined;
  if (!previous) return;
  if (
    previous.bounds.length !== bounds.length ||
    previous.bounds.some((b, i) => b !== bounds[i])
  ) {
    problems.add(
      `${where}.histogram.bounds: differ from the previous look's buckets`,
    );
    return;
  }
  const shrinking = counts.findIndex(
    (c, i) => (c as number) < previous.counts[i],
  );
  if (shrinking >= 0) {
    problems.add(
      `${where}.histogram.counts[${shrinking}]: cumulative counts cannot decrease (${previous.counts[shrinking]} before, ${counts[shrinking]} now)`,
    );
  }
}

/** The problem of an arm's raw samples, if any. */
function samplesProblem(
  samples: unknown,
  before: Record<string, any> | undefined,
  where: string,
  budget: { values: number },
): string | undefined {
  if (!Array.isArray(samples)) return `${where}.samples: must be an array`;
  if (samples.length > ANALYSIS_LIMITS.maxSamplesPerArm) {
    return `${where}.samples: at most ${ANALYSIS_LIMITS.maxSamplesPerArm} values per arm and look, got ${samples.length}`;
  }
  budget.values += samples.length;
  const bad = samples.findIndex(v => !(finite(v) && v >= 0));
  if (bad >= 0) {
    return `${where}.samples[${bad}]: must be a finite number >= 0, got ${describe(
      samples[bad],
    )}`;
  }
  if (before?.samples && samples.length < before.samples.length) {
    return `${where}.samples: cumulative samples cannot shrink (${before.samples.length} before, ${samples.length} now)`;
  }
  if (before?.histogram) return `${where}: switches from histogram to samples`;
  return undefined;
}
