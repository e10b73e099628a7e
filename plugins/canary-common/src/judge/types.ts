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
 * A distribution of non-negative values, e.g. latency, from raw samples or histograms, compared
 * quantile by quantile with time-uniform bands.
 *
 * @public
 */
export interface DistributionMetricDefinition extends MetricDefinitionBase {
  kind: 'distribution';
  /** Relative margin on every watched quantile (0.05 = 5 % slower). Without it: watch only, as for counts. */
  margin?: number;
  /** Relative harm beyond which the metric fails; default 0. */
  rollbackMargin?: number;
  /** The quantiles compared; default [0.5, 0.95]. Extreme ones need many observations to pass. */
  quantiles?: number[];
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
   * Consecutive looks without data, as the engine counts them (e.g. fewer requests than its
   * minimum), including this one. When absent the judge counts looks that added no observation.
   */
  consecutiveNoData?: number;
  /** Cumulative requests per arm and the configured canary share, for the sample-ratio check. */
  traffic?: { baseline: number; canary: number; expectedCanaryShare: number };
}

/** @public */
export type JudgeDecision = 'continue' | 'promote' | 'rollback' | 'pause';

/** A bound that may be unbounded (null), so the state survives JSON. @public */
export type Bounds = [number | null, number | null];

/** Running values of one metric across looks. @public */
export interface MetricJudgeState {
  /** The settings the running values depend on; when they change the metric starts over. */
  key: string;
  looks: number;
  canaryN: number;
  baselineN: number;
  /** Running minimum of the always-valid p-value against "no difference". */
  pValue?: number;
  /** Running intersection of the harm confidence sequence at the non-inferiority level. */
  promote?: Bounds;
  /** Running intersection at the (Bonferroni-split) regression level. */
  fail?: Bounds;
  /** Distribution metrics: the same per watched quantile. */
  quantiles?: Array<{ promote: Bounds; fail: Bounds }>;
}

/**
 * Everything the judge carries from one look to the next, as plain JSON: store it with the
 * rollout and pass it back at the next look. Start each stage with no state.
 *
 * @public
 */
export interface JudgeState {
  version: 1;
  looks: number;
  consecutiveNoData: number;
  metrics: Record<string, MetricJudgeState>;
  /** Running p-value of the sample-ratio check. */
  sampleRatioPValue?: number;
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
