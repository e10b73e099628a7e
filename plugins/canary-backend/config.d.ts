/**
 * A strategy as written in app-config. Durations are a number and a unit: `500ms`, `30s`, `30m`,
 * `2h`, `1d`. Rates are fractions (0.01 = 1 %), latencies milliseconds.
 */
interface CanaryStrategyConfig {
  /** Traffic stages in order; weights increase. Default: 5 % 30m, 25 % 1h, 50 % 2h. */
  stages?: Array<{
    /** Percent of traffic on the canary, 1-100. */
    weight: number;
    /** The stage is judged once this much time has passed. */
    minDuration: string;
    /** Without a passing verdict by then, the inconclusive policy applies. Default: 2x minDuration. */
    maxDuration?: string;
    /** A user approves before traffic moves to this stage. */
    requireApproval?: boolean;
  }>;
  /** Run a baseline of the stable version at the canary's size and compare with it. Default false. */
  dedicatedBaseline?: boolean;
  /** How long to wait for a stage's canary and weights, or a promotion, to be in place. Default 10m. */
  progressDeadline?: string;
  /**
   * HTTP hooks, like Flagger's: each call is a POST of the rollout's state as JSON with an
   * `Idempotency-Key` header (delivery is at least once). Webhooks add up over the defaults, a
   * preset and the launch request; one of the same name replaces the earlier one (a launch
   * request may not replace a configured one).
   */
  webhooks?: Array<{
    /** Unique within the strategy: letters, digits, `.`, `_`, `-`. */
    name: string;
    /**
     * `pre-rollout`: before the first traffic shift; the rollout fails when it does not answer
     * 2xx. `confirm-promotion`: a passed stage waits until it answers 2xx. `post-rollout` (any
     * final phase) and `rollback` (entering RollingBack) only tell.
     */
    type: 'pre-rollout' | 'confirm-promotion' | 'post-rollout' | 'rollback';
    /** http(s). Readers of a rollout see only its origin. */
    url: string;
    /** Per attempt, at most 1m. Default 10s. */
    timeout?: string;
    /** Attempts after a timeout, a lost connection, 408, 429 or 5xx; 0-5. Default 2. */
    retries?: number;
    /** Sent along in every call; readers of the rollout see it, so no secrets. */
    metadata?: { [key: string]: string };
  }>;
  analysis?: {
    /** Time between two looks at the metrics. Default 1m. */
    interval?: string;
    /** A look with fewer canary requests counts as a look without data. Default 20. */
    minRequestsPerLook?: number;
    /** A stage needs this many canary requests to pass. Default 200. */
    minRequestsPerStage?: number;
    /** Consecutive looks without data before `noDataAction` applies. Default 3. */
    maxConsecutiveNoData?: number;
    /** Default `pause`. */
    noDataAction?: 'pause' | 'rollback';
    /** At a stage's maximum duration without a passing verdict. Default `pause`. */
    inconclusiveAction?: 'pause' | 'rollback';
    /** Error rate of the statistical judge's anytime-valid statements. Default 0.05. */
    alpha?: number;
    /**
     * What the judge compares at every look, anytime-valid on the stage's cumulative counts: the
     * one place that decides to promote, pause or roll back. `error-rate` reads errors /
     * requests, `latency` the latency histogram, other names the metrics provider's ratios or
     * gauges. Default: error-rate (proportion, margin 0.005, maxRate 0.1, maxRatio 2, critical)
     * and latency (distribution, margin 0.1, max 2 s, quantiles p50 and p95, critical).
     */
    metrics?: Array<{
      name: string;
      kind: 'proportion' | 'count' | 'distribution' | 'gauge';
      /** Default `lower-is-better`. */
      direction?: 'lower-is-better' | 'higher-is-better';
      /**
       * Non-inferiority margin: absolute for proportions (0.005 = 0.5 points), relative for counts
       * and distributions (0.1 = 10 % slower). A stage is promoted only once the canary is shown
       * within it.
       */
      margin?: number;
      /** Harm beyond which the metric fails; default 0 (any established harm fails). */
      rollbackMargin?: number;
      /** An established regression rolls back (critical) or pauses. */
      critical?: boolean;
      /** Proportions: a hard ceiling; fails once the canary's rate is shown above it (0.1 = 10 %). */
      maxRate?: number;
      /** Proportions: fails once the canary's rate is shown above this multiple of the baseline's. */
      maxRatio?: number;
      /** Distributions: the quantiles compared, default [0.5, 0.95]. */
      quantiles?: number[];
      /** Distributions: a hard ceiling on every watched quantile, in `unit`; gauges: the maximum. */
      max?: number;
      /** Distributions and gauges: the unit, for explanations. */
      unit?: string;
      /** Gauges: the minimum and the largest relative change against the baseline. */
      min?: number;
      maxRelativeChange?: number;
    }>;
  };
}

export interface Config {
  /** Configuration of the canary plugin. */
  canary?: {
    /** The strategy a rollout gets unless a preset or its launch request says otherwise. */
    defaults?: CanaryStrategyConfig;
    /**
     * Named strategies, each written like `defaults` and resolved over them. An entity picks one
     * with the annotation `canary.backstage.io/preset`; a launch request with `preset`.
     */
    presets?: { [name: string]: CanaryStrategyConfig };
    /**
     * The platform's policy over every rollout (see "Platform policy" in the README). The floors
     * apply to the strategy a rollout runs with, whoever chose it: `defaults` and every preset
     * must meet them (the backend does not start otherwise), and a launch request whose
     * `strategy` breaks one is refused (403) naming the rule. Without a floor, nothing is
     * enforced there.
     */
    policy?: {
      /** Stages below 100 % of traffic that every strategy has at least. */
      minStages?: number;
      /** The shortest `minDuration` any stage may have, e.g. `5m`. */
      minStageDuration?: string;
      /** The largest weight (percent) of the first stage. */
      maxFirstStageWeight?: number;
      /**
       * A user approves before the canary gets this percentage of traffic or more (2-100): the
       * first stage at or above it must exist, must not be the first stage, and must have
       * `requireApproval`.
       */
      requireApprovalFrom?: number;
      /**
       * Metrics every strategy must judge, of this kind and direction and critical (a regression
       * rolls back), with limits at most these. An absent margin or ceiling in the strategy is
       * no limit, so it breaks a maximum set here.
       */
      metrics?: Array<{
        name: string;
        kind: 'proportion' | 'count' | 'distribution' | 'gauge';
        /** Default `lower-is-better`. */
        direction?: 'lower-is-better' | 'higher-is-better';
        /** The largest `margin` (proportions, counts, distributions). */
        maxMargin?: number;
        /** The largest `rollbackMargin` (proportions, counts, distributions). */
        maxRollbackMargin?: number;
        /** The largest `maxRate` (proportions). */
        maxRate?: number;
        /** The largest `maxRatio` (proportions). */
        maxRatio?: number;
        /** The largest `max` (distributions). */
        max?: number;
      }>;
      /**
       * The strategy fields a launch request may set at all: `stages`, `dedicatedBaseline`,
       * `progressDeadline`, `webhooks`, and each analysis setting as `analysis.<name>` (e.g.
       * `analysis.metrics`). Sending any of them also needs the permission
       * `canary.rollout.override`; choosing a preset needs only `canary.rollout.launch`.
       * Default: `[webhooks]` (their URLs are bounded by `canary.webhooks.allowedUrlPrefixes`).
       */
      overridable?: string[];
      /**
       * Separation of duties: whoever launched a rollout cannot pass its approval gates (with
       * `approve`, or a `promote`/`promote-full` that skips one). Default false.
       */
      approverMustDiffer?: boolean;
    };
    engine?: {
      /** How often the engine looks at active rollouts, e.g. `5s`. Default 5s. */
      tickInterval?: string;
      /**
       * How long one tick may hold the engine's lock, e.g. `30s`. A replica that dies mid-tick
       * keeps the lock this long, plus up to a minute until the scheduler frees it, before another
       * replica takes over; keep it above the longest tick. Default 6 tick intervals.
       */
      tickTimeout?: string;
      /**
       * How many rollouts a tick works on at once; each waits on its router, workload and metrics
       * provider. Default 20.
       */
      tickConcurrency?: number;
    };
    /** Notifications to the owners of a rollout's entity (needs the notifications backend). */
    notifications?: {
      /** Default true. */
      enabled?: boolean;
      /** The phases whose entry is notified. Default: RolledBack, Failed, AwaitingApproval, Succeeded. */
      phases?: Array<
        | 'Pending'
        | 'Progressing'
        | 'Paused'
        | 'AwaitingApproval'
        | 'Promoting'
        | 'Succeeded'
        | 'RollingBack'
        | 'RolledBack'
        | 'Aborted'
        | 'Failed'
      >;
    };
    webhooks?: {
      /**
       * The URL prefixes that webhooks in launch requests may point at, e.g.
       * `https://hooks.example.com/canary/`: the same origin, and a path that starts with the
       * prefix's. Empty (the default): launch requests may not define webhooks. Webhooks in this
       * configuration are trusted.
       */
      allowedUrlPrefixes?: string[];
    };
    /**
     * `POST /analyze`, the stateless judge: it runs on worker threads, so that a large request
     * does not hold the event loop every route shares.
     */
    analyze?: {
      /** How many analyses run at once, each on a thread of its own. Default: CPU cores - 1, at least 1. */
      maxThreads?: number;
      /** How many more wait for a thread; beyond, 503 with Retry-After. Default 8. */
      maxQueue?: number;
      /**
       * Each caller (user entity ref or service subject) may send this many analyses per window,
       * counted in each backend replica; beyond, 429 with Retry-After.
       */
      rateLimit?: {
        /** Default 30. */
        requests?: number;
        /** A duration of at least 1s, e.g. `1m`. Default 1m. */
        window?: string;
      };
    };
    retention?: {
      /**
       * How long measurements and verdicts (the analysis charts) are kept, by the time they were
       * taken, e.g. `30d`; an hourly task deletes older ones. A zero duration (`0d`) keeps them
       * forever. The audit trail, with the numbers behind every decision, is never deleted.
       * Default 30d.
       */
      measurements?: string;
    };
    /** The audit trail's keyed chain (`GET /api/canary/audit/verify`). */
    audit?: {
      /**
       * The key of the chain (HMAC-SHA256), at least 32 characters: whoever holds it can reseal
       * edited events, so keep it out of the database's reach (e.g. `${CANARY_AUDIT_SECRET}`) and
       * never change it (events sealed with the old key would no longer verify). Required when
       * NODE_ENV is `production`; elsewhere its absence means a public development key, with a
       * warning at startup.
       * @visibility secret
       */
      secret?: string;
      /**
       * How often the chain's head (sequence number and MAC) is sent to the auditor service, when
       * it moved since the last time, e.g. `10m`. Default 10m.
       */
      checkpointInterval?: string;
    };
  };
}
