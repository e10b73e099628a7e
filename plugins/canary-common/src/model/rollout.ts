import type { JudgeState, MetricDefinition } from '../judge/types';
import type { Phase, RolloutAction } from './phases';

/** Traffic split in percent; the two always add up to 100. @public */
export interface Weights {
  stable: number;
  canary: number;
}

/** Where a rollout acts: taken from the catalog entity's annotations. @public */
export interface RolloutTarget {
  /** Cluster name (`backstage.io/kubernetes-cluster`), when the workload kind needs one. */
  cluster?: string;
  /** Namespace (`backstage.io/kubernetes-namespace`), `default` when absent. */
  namespace: string;
  /** Workload name (`backstage.io/kubernetes-id`). */
  name: string;
  /** Which TrafficRouter moves traffic (`canary.backstage.io/router`). */
  router: string;
  /** The router's object, e.g. a VirtualService name (`canary.backstage.io/router-object`). */
  routerObject?: string;
  /** Which MetricsProvider reads metrics (`canary.backstage.io/metrics`). */
  metrics: string;
  /** Which WorkloadController deploys versions (`canary.backstage.io/workload`). */
  workload: string;
  /**
   * The entity the target was read from, as a full ref (`component:default/shop`): providers that
   * check who owns the objects they change (the Kubernetes module's ownership mark) read it here.
   * Set at launch.
   */
  entityRef?: string;
}

/** One traffic stage. Durations are milliseconds. @public */
export interface Stage {
  /** Percent of traffic sent to the canary, 1-100. */
  weight: number;
  /** The stage is judged once this much time has passed. */
  minDurationMs: number;
  /** After this long without a passing verdict the inconclusive policy applies. */
  maxDurationMs: number;
  /** A user approves before traffic moves to this stage. */
  requireApproval: boolean;
}

/** What happens when a policy triggers. @public */
export type PolicyAction = 'pause' | 'rollback';

/** @public */
export interface AnalysisSettings {
  /** Time between two looks at the metrics. */
  intervalMs: number;
  /** A look with fewer canary requests than this counts as a look without data. */
  minRequestsPerLook: number;
  /** A stage needs at least this many canary requests before it can pass. */
  minRequestsPerStage: number;
  /**
   * The metrics the judge compares, anytime-valid at every look on the stage's cumulative counts,
   * with their margins and hard ceilings. `error-rate` reads errors / requests, `latency` the
   * latency histogram; other names read the sample's `ratios` (proportions, counts as events /
   * exposure) or `gauges`.
   */
  metrics: MetricDefinition[];
  /** Error rate of the judge's anytime-valid statements. */
  alpha: number;
  /** After this many consecutive looks without data, `noDataAction` applies. */
  maxConsecutiveNoData: number;
  noDataAction: PolicyAction;
  /** At a stage's maximum duration without a passing verdict. */
  inconclusiveAction: PolicyAction;
}

/** @public */
export interface Strategy {
  stages: Stage[];
  analysis: AnalysisSettings;
  /**
   * Run a baseline of the stable version next to the canary, at its size, and compare the canary
   * with it instead of with the whole stable fleet.
   */
  dedicatedBaseline: boolean;
  /**
   * How long the engine waits for the world to reach a stage (canary ready, weights confirmed)
   * or a promotion before it gives up: a stage rolls back, a promotion fails.
   */
  progressDeadlineMs: number;
  /** HTTP hooks called around the rollout, like Flagger's. Absent on rollouts stored before. */
  webhooks?: Webhook[];
}

/**
 * When a webhook is called. `pre-rollout` and `confirm-promotion` are gates (the rollout waits for
 * a 2xx); `post-rollout` (any final phase) and `rollback` (entering RollingBack) only tell.
 *
 * @public
 */
export const WEBHOOK_TYPES = [
  'pre-rollout',
  'confirm-promotion',
  'post-rollout',
  'rollback',
] as const;

/** @public */
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** An HTTP hook: a POST with the rollout's state as JSON. Durations are milliseconds. @public */
export interface Webhook {
  name: string;
  type: WebhookType;
  url: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Further attempts after a failed one (a timeout, no connection, 408, 429 or 5xx). */
  retries: number;
  /** Sent along in every call. Readers of the rollout see it: no secrets here. */
  metadata?: Record<string, string>;
}

/** Latency histogram: counts[i] observations <= bounds[i] (seconds); the last count is open. @public */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

/** A numerator and its denominator, e.g. conversions and visitors. @public */
export interface CountPair {
  count: number;
  total: number;
}

/** What a MetricsProvider reports for one arm over one window: counts, not averages. @public */
export interface ArmSample {
  requests: number;
  errors: number;
  latency?: Histogram;
  /** Business metrics by name, as counts (e.g. `conversion`: purchases / visits). */
  ratios?: Record<string, CountPair>;
  /** Point-in-time readings by name (e.g. `cpu-cores`, `memory-bytes` of the arm's pods). */
  gauges?: Record<string, number>;
}

/** @public */
export type Arm = 'baseline' | 'canary';

/** @public */
export type VerdictKind = 'pass' | 'fail' | 'inconclusive' | 'nodata' | 'error';

/** The judgement of one metric at one look, with the numbers behind it. @public */
export interface MetricVerdict {
  /** e.g. `error-rate`, `latency-p95`. */
  metric: string;
  /** Which rule or test produced it, e.g. `msprt`, `tail-share-restarted` or `max-rate`. */
  rule: string;
  verdict: VerdictKind;
  /** The canary's value (or the difference, for comparisons) in the metric's units. */
  estimate?: number;
  baseline?: number;
  canary?: number;
  /** The limit the value was held against. */
  threshold?: number;
  interval?: [number, number];
  pValue?: number;
  sampleSize?: { baseline: number; canary: number };
  /** One sentence a service owner understands. */
  explanation: string;
  /**
   * A look the metrics provider failed: the provider's own error. It can name internal addresses
   * and queries, so the API shows it only to those who may control the rollout.
   */
  detail?: string;
  /** Confidence level of `interval`, e.g. 0.95. */
  confidenceLevel?: number;
  /** Harm beyond which the metric fails (0 by default), in the units of `threshold`. */
  rollbackThreshold?: number;
  /** An established regression rolls back (critical) or pauses for a human (not critical). */
  critical?: boolean;
  /**
   * Distribution metrics: the watched quantile `p` that decided, the `threshold` the arms' shares
   * are counted beyond (`above` it, or `at-or-below` it when higher is better), and the
   * interpolated quantiles of both arms. `baseline`, `canary`, `estimate` and `interval` are then
   * those shares and their difference.
   */
  tail?: {
    p: number;
    threshold: number;
    unit?: string;
    direction: 'above' | 'at-or-below';
    baselineQuantile: number;
    canaryQuantile: number;
  };
  /** A fixed-horizon test of the same data, for display only: decisions never use it. */
  classical?: { method: string; pValue: number; interval?: [number, number] };
  /**
   * Unit of `baseline` and `canary`: `fraction` (shown as a percentage), `s` (seconds), or a
   * gauge's own unit. Absent: a plain number.
   */
  unit?: string;
  /**
   * `relative` when `estimate`, `interval`, `threshold` and `rollbackThreshold` are relative
   * changes (0.1 = 10 % higher); otherwise they are in `unit`, like the values.
   */
  scale?: 'absolute' | 'relative';
}

/** Cumulative samples of the current stage, per arm. @public */
export interface StageTotals {
  baseline: ArmSample;
  canary: ArmSample;
}

/** @public */
export interface RolloutAnalysisState {
  lastLookAt?: string;
  nextLookAt?: string;
  consecutiveNoData: number;
  stageTotals: StageTotals;
  latestVerdicts: MetricVerdict[];
  /** What the statistical judge carries from look to look within the stage. */
  judgeState?: JudgeState;
}

/**
 * A provider of a rollout that fails: the metrics provider, the traffic router or the workload
 * controller, when reading (the metrics, the world) or when acting (an action the engine retries
 * every tick).
 *
 * @public
 */
export interface ProviderFault {
  provider: 'metrics' | 'router' | 'workload';
  operation: 'read' | 'write';
  /** The provider's kind, from the rollout's target (e.g. `prometheus`, `istio`). */
  kind: string;
  /**
   * The first failure's message. It can name internal addresses and queries, so the API shows it
   * only to those who may control the rollout; others see that the provider fails, and since when.
   */
  error?: string;
  /** When the first failure was seen. */
  since: string;
}

const FAULT_SUBJECT: Record<ProviderFault['provider'], string> = {
  metrics: 'the metrics',
  router: 'the traffic router',
  workload: 'the workload',
};

/** What fails, in words: "Reading the metrics (prometheus)". @public */
export function faultTitle(fault: ProviderFault): string {
  const verb = fault.operation === 'read' ? 'Reading' : 'Changing';
  return `${verb} ${FAULT_SUBJECT[fault.provider]} (${fault.kind})`;
}

/** A rollout as the API returns it. Times are ISO 8601 strings. @public */
export interface Rollout {
  id: string;
  entityRef: string;
  /** The entity's owner at launch (`spec.owner`) as a full ref, e.g. `group:default/guests`. */
  owner?: string;
  /** The entity's system at launch (`spec.system`) as a full ref, e.g. `system:default/shop`. */
  system?: string;
  target: RolloutTarget;
  stableVersion: string;
  canaryVersion: string;
  strategy: Strategy;
  phase: Phase;
  /** Index into strategy.stages; -1 before the first stage. */
  stageIndex: number;
  /** When the engine began moving the world to the current stage or to the promotion. */
  shiftStartedAt?: string;
  /** When the router confirmed the current stage's weights: the stage's clock. */
  stageStartedAt?: string;
  /** The canary weight the engine last sized the canary for (it shifts traffic only after). */
  canarySizedFor?: number;
  /** The traffic split the engine wants (the router is reconciled to it). */
  weights: Weights;
  /** Why the rollout is where it is, in one line. */
  message: string;
  analysis: RolloutAnalysisState;
  /** Where a rollback ends: RolledBack (automatic) or Aborted (a user). */
  rollbackEndPhase?: 'RolledBack' | 'Aborted';
  /**
   * The providers failing right now, each from its first failure until it answers again (the
   * audit events `provider-fault` and `provider-recovered` mark both ends). Absent when all
   * answer; dropped when the rollout ends.
   */
  faults?: ProviderFault[];
  /**
   * The current stage passed, but confirm-promotion webhooks have not answered 2xx yet: the engine
   * keeps asking (and keeps watching the metrics) until they do.
   */
  promotionGate?: {
    stageIndex: number;
    refusedSince: string;
    refusedBy: string[];
  };
  createdBy: string;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Optimistic-concurrency version, bumped on every save. */
  revision: number;
  /** The manual actions the current phase allows. */
  allowedActions: RolloutAction[];
}

/** One row of the audit trail. @public */
export interface AuditEvent {
  id: number;
  rolloutId: string;
  entityRef: string;
  at: string;
  /** A user entity ref, a service principal, or `engine`. */
  actor: string;
  action: string;
  phaseBefore?: Phase;
  phaseAfter: Phase;
  stageIndex: number;
  weightsBefore?: Weights;
  weightsAfter: Weights;
  reason: string;
  /** The numbers behind an automatic decision (verdicts, samples) or a manual action. */
  details: Record<string, unknown>;
}

/** One measured value of one metric and arm over one window. @public */
export interface Measurement {
  rolloutId: string;
  stageIndex: number;
  metric: string;
  arm: Arm;
  windowStart: string;
  windowEnd: string;
  value: number | null;
}

/** The answer of `GET /rollouts/:id/analysis`. @public */
export interface RolloutAnalysis {
  rolloutId: string;
  series: Array<{
    metric: string;
    arm: Arm;
    points: Array<{ at: string; stageIndex: number; value: number | null }>;
  }>;
  verdicts: Array<{
    at: string;
    stageIndex: number;
    verdicts: MetricVerdict[];
  }>;
}

/** A page of a list route. @public */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
