import type { MetricVerdict, PolicyAction } from '../model';
import type { DistributionSample, EventCounts } from '../stats';

/** @public */
export type MetricKind = 'proportion' | 'count' | 'distribution' | 'gauge';

/** @public */
export type MetricDirection = 'lower-is-better' | 'higher-is-better';

/** What every metric definition has. @public */
export interface MetricDefinitionBase {
  /** Unique within a rollout, e.g. `error-rate`. */
  name: string;
  /** Default `lower-is-better`. */
  direction?: MetricDirection;
  /** An established regression of a critical metric rolls back at once; of another one, pauses. Default false. */
  critical?: boolean;
}

/**
 * A rate of successes out of trials: error rate (lower is better), conversion (higher is better).
 *
 * @public
 */
export interface ProportionMetricDefinition extends MetricDefinitionBase {
  kind: 'proportion';
  /** Non-inferiority margin, absolute: 0.002 allows the canary 0.2 percentage points worse. Required, > 0. */
  margin: number;
  /** The metric fails once the harm is shown to exceed this (absolute); default 0. */
  rollbackMargin?: number;
  /**
   * A hard ceiling on the canary's own rate (0.05 = 5 %): the metric fails once the canary's rate
   * is shown to be above it, whatever the baseline does. Lower-is-better metrics only.
   */
  maxRate?: number;
  /**
   * The metric fails once the canary's rate is shown to be more than this multiple of the
   * baseline's (2 = twice the baseline's error rate). Lower-is-better metrics only.
   */
  maxRatio?: number;
}

/**
 * An event rate with exposure (crashes per request, restarts per hour x traffic share), compared as
 * the ratio of the canary's rate to the baseline's.
 *
 * @public
 */
export interface CountMetricDefinition extends MetricDefinitionBase {
  kind: 'count';
  /**
   * Non-inferiority margin, relative: 0.2 allows a 20 % higher rate (lower-is-better) or a 20 %
   * lower one (higher-is-better). Without a margin the metric only watches for regressions: it can
   * fail but never blocks a promotion.
   */
  margin?: number;
  /** Relative harm beyond which the metric fails; default 0. */
  rollbackMargin?: number;
}

/**
 * A distribution of non-negative values, e.g. latency, from raw samples or histograms. For each
 * watched quantile the judge fixes a threshold at the stage's first look: the histogram bucket
 * boundary nearest the baseline's quantile (the quantile itself for raw samples). It then compares
 * the share of observations beyond that threshold in the two arms as a proportion, which buckets
 * give exactly: a slower canary puts more requests above the baseline's p95.
 *
 * @public
 */
export interface DistributionMetricDefinition extends MetricDefinitionBase {
  kind: 'distribution';
  /**
   * Relative margin (0.1 = the canary may be 10 % slower): translated, at each threshold, into the
   * share of the baseline's observations that a canary slower by this much would add beyond it
   * (values interpolated within a bucket, as Prometheus' histogram_quantile does). Without it:
   * watch only, as for counts.
   */
  margin?: number;
  /** Relative harm beyond which the metric fails, translated like `margin`; default 0. */
  rollbackMargin?: number;
  /** The quantiles compared; default [0.5, 0.95]. Extreme ones need many observations to pass. */
  quantiles?: number[];
  /**
   * A hard ceiling on every watched quantile of the canary, in `unit`: the metric fails once a
   * canary quantile is shown to be above it. Lower-is-better metrics only.
   */
  max?: number;
  /** Unit of the values for explanations, e.g. `s` or `ms`. */
  unit?: string;
}

/**
 * A plain value checked against thresholds only (no statistics), e.g. memory or CPU.
 *
 * @public
 */
export interface GaugeMetricDefinition extends MetricDefinitionBase {
  kind: 'gauge';
  /** The canary's value must not exceed this. */
  max?: number;
  /** The canary's value must not fall below this. */
  min?: number;
  /** Largest relative change against the baseline in the bad direction (0.1 = 10 % worse). */
  maxRelativeChange?: number;
  unit?: string;
}

/** @public */
export type MetricDefinition =
  | ProportionMetricDefinition
  | CountMetricDefinition
  | DistributionMetricDefinition
  | GaugeMetricDefinition;

/** Cumulative successes (`count`) out of trials (`total`) of one arm. @public */
export interface ProportionArmData {
  count: number;
  total: number;
}

/** Cumulative events and exposure of one arm. @public */
export type CountArmData = EventCounts;

/** Raw values or a histogram of one arm (cumulative). @public */
export type DistributionArmData = DistributionSample;

/** The current value of a gauge. @public */
export interface GaugeArmData {
  value: number;
}

/** One arm's data for a metric at a look. @public */
export type ArmData =
  | ProportionArmData
  | CountArmData
  | DistributionArmData
  | GaugeArmData;

/**
 * A metric's data at one look: cumulative over the current stage. A missing arm is no data.
 *
 * @public
 */
export interface MetricLookData<A extends ArmData = ArmData> {
  baseline?: A;
  canary?: A;
}

/** The judge's settings. @public */
export interface JudgeConfig {
  metrics: MetricDefinition[];
  /**
   * Error rate of each anytime-valid statement, default 0.05: per guardrail for showing
   * non-inferiority (combined with AND, so no adjustment), split by Bonferroni across the
   * critical metrics (and separately across the others) for establishing a regression.
   */
  alpha?: number;
  /** At the stage's maximum duration with metrics still inconclusive; default `pause`. */
  inconclusiveAction?: PolicyAction;
  /** After `maxConsecutiveNoData` looks without new data; default `pause`. */
  noDataAction?: PolicyAction;
  /** Default 3. */
  maxConsecutiveNoData?: number;
  /**
   * A look that adds fewer canary requests than this (see JudgeLook.traffic) is a look without
   * data; default 1.
   */
  minRequestsPerLook?: number;
  /** Significance level of the sample-ratio check (see JudgeLook.traffic); default 0.001. */
  sampleRatioAlpha?: number;
}

/** Everything the judge needs to know about one look; it has no clock of its own. @public */
export interface JudgeLook {
  /** Data per metric name, cumulative over the current stage. */
  metrics: Record<string, MetricLookData>;
  /** The stage ran for its minimum duration. */
  minDurationReached: boolean;
  /** The stage saw its minimum number of canary requests. */
  minSampleSizeReached: boolean;
  /** The stage ran for its maximum duration: inconclusive metrics now follow `inconclusiveAction`. */
  maxDurationReached: boolean;
  /**
   * Cumulative requests per arm: a look that adds fewer canary requests than
   * `minRequestsPerLook` is a look without data. With `expectedCanaryShare` (the configured
   * canary share of the compared traffic) the judge also checks the split (sample-ratio
   * mismatch). Without `traffic`, a look without data is one that added no observation.
   */
  traffic?: { baseline: number; canary: number; expectedCanaryShare?: number };
  /** The metrics could not be read at this look (the provider failed): a look without data. */
  error?: string;
}

/** @public */
export type JudgeDecision = 'continue' | 'promote' | 'rollback' | 'pause';

/** Cumulative bad outcomes out of trials of one arm (errors of requests, slow requests). @public */
export interface TrialCounts {
  count: number;
  total: number;
}

/** One compared series at one look: both arms, cumulative. @public */
export interface SeriesCounts {
  canary: TrialCounts;
  baseline: TrialCounts;
}

/**
 * A sequence restarted during the stage: it judges only the data after `look - 1`, so that a
 * regression that starts late is not diluted by the good looks before it. @public
 */
export interface RestartPoint {
  /** The first look (1-based) whose data the restarted sequence judges. */
  look: number;
  /** The cumulative counts of each compared series at the end of the look before. */
  series: SeriesCounts[];
}

/** A distribution metric's threshold for one watched quantile, fixed at the stage's first look. @public */
export interface TailThreshold {
  p: number;
  /** Observations beyond this value (above it, or at or below it for higher-is-better) count. */
  value: number;
  /** The margin translated into a share of observations (absolute); undefined without a margin. */
  margin?: number;
  /** The rollback margin translated likewise. */
  rollbackMargin: number;
}

/** Running values of one metric across looks. @public */
export interface MetricJudgeState {
  /** The settings the running values depend on; when they change the metric starts over. */
  key: string;
  looks: number;
  canaryN: number;
  baselineN: number;
  /** Restarted sequences, at looks 2, 4, 8, 16, ... of the stage. */
  restarts?: RestartPoint[];
  /** Distribution metrics: one threshold per watched quantile. */
  thresholds?: TailThreshold[];
}

/**
 * Everything the judge carries from one look to the next, as plain JSON: store it with the
 * rollout and pass it back at the next look. Start each stage with no state.
 *
 * @public
 */
export interface JudgeState {
  version: 2;
  looks: number;
  consecutiveNoData: number;
  metrics: Record<string, MetricJudgeState>;
  /** Running p-value of the sample-ratio check. */
  sampleRatioPValue?: number;
  /** Cumulative canary requests at the last look (JudgeLook.traffic), to count what a look adds. */
  canaryRequests?: number;
}

/** @public */
export interface JudgeResult {
  decision: JudgeDecision;
  /** One or two sentences: why. */
  reason: string;
  /** One per metric, in definition order, plus `sample-ratio` when traffic was given. */
  verdicts: MetricVerdict[];
  state: JudgeState;
}
