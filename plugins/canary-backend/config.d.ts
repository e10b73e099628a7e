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
     * What the statistical judge compares at every look. `error-rate` reads errors / requests,
     * `latency` the latency histogram, other names the metrics provider's ratios or gauges.
     * Default: error-rate (proportion, margin 0.005, critical) and latency (distribution, watched
     * for regressions only, critical).
     */
    metrics?: Array<{
      name: string;
      kind: 'proportion' | 'count' | 'distribution' | 'gauge';
      /** Default `lower-is-better`. */
      direction?: 'lower-is-better' | 'higher-is-better';
      /** Non-inferiority margin: absolute for proportions, relative for counts and distributions. */
      margin?: number;
      /** Harm beyond which the metric fails; default 0. */
      rollbackMargin?: number;
      /** An established regression rolls back (critical) or pauses. */
      critical?: boolean;
      /** Distributions: the quantiles compared, default [0.5, 0.95]. */
      quantiles?: number[];
      /** Distributions and gauges: the unit, for explanations. */
      unit?: string;
      /** Gauges: limits and the largest relative change against the baseline. */
      max?: number;
      min?: number;
      maxRelativeChange?: number;
    }>;
    thresholds?: {
      /** Checked on the whole stage when it ends. */
      success?: {
        maxErrorRate?: number;
        maxErrorRateIncrease?: number;
        maxP95Ms?: number;
      };
      /** Checked on every look; any one that fires rolls back. */
      rollback?: {
        maxErrorRate?: number;
        maxErrorRateRatio?: number;
        maxP95Ms?: number;
        maxP95Ratio?: number;
      };
    };
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
    engine?: {
      /** How often the engine looks at active rollouts, e.g. `5s`. Default 5s. */
      tickInterval?: string;
    };
  };
}
