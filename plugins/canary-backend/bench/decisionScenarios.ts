import {
  ArmSample,
  Histogram,
  Weights,
  createSeededRandom,
  normalCdf,
  normalSf,
  type RandomSource,
} from '@canary-release/backstage-plugin-canary-common';

/**
 * The data and the traffic of the decision benchmark (bench/decisions.ts): what each scenario's
 * canary does, how it is judged against a target, and a seeded simulator that turns a scenario
 * into the per-look samples a metrics provider would report.
 */

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/** What an arm serves at one moment. */
export interface ArmBehaviour {
  errorRate: number;
  /** Every request's latency is the reference lognormal's, multiplied by this. */
  latencyFactor: number;
  /** Purchases per request (only reported when the scenario has a conversion metric). */
  conversion: number;
}

export type BucketLayout = 'default' | 'fine';

/** What counts as a bad request served by the canary, for a regression. */
export type Harm = 'errors' | 'slow' | 'lost purchases';

/** The targets a scenario's results are checked against (fractions of runs, looks). */
export interface Targets {
  /** Null scenarios: at most this share of runs may roll back. */
  maxFalseRollback?: number;
  /** Regressions: at least this share of runs must roll back. */
  minDetection?: number;
  /** Regressions: the median look of the rollbacks, counted from the first look. */
  maxMedianLooksToRollback?: number;
}

export interface Scenario {
  name: string;
  /** Null: the canary is no worse, a rollback is false. Regression: a rollback is a detection. */
  kind: 'null' | 'regression';
  /** How the bad requests a regression serves are counted. */
  harm?: Harm;
  buckets: BucketLayout;
  /** Overrides the strategy's traffic (requests per second, both arms together). */
  requestsPerSecond?: number;
  /** Adds a `conversion` proportion metric to the strategy and reports purchases. */
  conversionMetric?: boolean;
  /** Also benchmarked with the demo preset (all scenarios run with the shipped default). */
  demo?: boolean;
  baseline: ArmBehaviour;
  /**
   * The canary at `progress`: time since the canary first got traffic (the first stage's clock),
   * in units of the first stage's minimum duration, so that one table fits every strategy.
   */
  canary(progress: number): ArmBehaviour;
  targets: Targets;
}

/** Real-world-ish references: the baseline serves these unless a scenario says otherwise. */
export const BASE_ERROR_RATE = 0.01;
export const BASE_CONVERSION = 0.05;
/** Latency of every request ~ lognormal with this median (seconds) and log-sd. */
export const LATENCY_MEDIAN_S = 0.1;
export const LATENCY_SIGMA = 0.5;

const arm = (patch: Partial<ArmBehaviour> = {}): ArmBehaviour => ({
  errorRate: BASE_ERROR_RATE,
  latencyFactor: 1,
  conversion: BASE_CONVERSION,
  ...patch,
});

const FALSE_ROLLBACK: Targets = { maxFalseRollback: 0.01 };

/** A canary no worse than the baseline (the same, unless `extra.canary` says better). */
function nullScenario(
  name: string,
  behaviour: ArmBehaviour,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    name,
    kind: 'null',
    buckets: 'default',
    baseline: behaviour,
    canary: () => behaviour,
    targets: FALSE_ROLLBACK,
    ...extra,
  };
}

/** A canary worse than the baseline (1 % errors, same latency and conversion), as `canary` says. */
function regression(
  name: string,
  harm: Harm,
  canary: (progress: number) => ArmBehaviour,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    name,
    kind: 'regression',
    harm,
    buckets: 'default',
    baseline: arm(),
    canary,
    targets: {},
    ...extra,
  };
}

/** Detection targets of the latency regressions, by slowdown factor. */
const LATENCY_TARGETS: Record<number, Targets> = {
  1.3: { minDetection: 0.95 },
  2: { minDetection: 0.99 },
};

function slower(factor: number, buckets: BucketLayout): Scenario {
  return regression(
    `latency ${factor}x, ${buckets} buckets`,
    'slow',
    () => arm({ latencyFactor: factor }),
    {
      buckets,
      targets: LATENCY_TARGETS[factor] ?? {},
      demo: factor === 2 && buckets === 'default',
    },
  );
}

/** Every scenario, in the order of the tables. */
export const SCENARIOS: Scenario[] = [
  nullScenario('A/A errors 0.1 %', arm({ errorRate: 0.001 })),
  nullScenario('A/A errors 1 %', arm(), { demo: true }),
  nullScenario('A/A errors 5 %', arm({ errorRate: 0.05 })),
  nullScenario('low traffic A/A errors 1 % (2 rps)', arm(), {
    requestsPerSecond: 2,
  }),
  nullScenario('latency A/A, default buckets', arm(), { demo: true }),
  nullScenario('latency A/A, fine buckets', arm(), { buckets: 'fine' }),
  ...[1.2, 1.5, 2, 3].flatMap(factor => [
    slower(factor, 'default'),
    slower(factor, 'fine'),
  ]),
  slower(1.3, 'default'),
  regression(
    '3x error spike (1 % → 3 %)',
    'errors',
    () => arm({ errorRate: 0.03 }),
    {
      demo: true,
      targets: { minDetection: 0.99, maxMedianLooksToRollback: 3 },
    },
  ),
  regression(
    '3x error spike (1 % → 3 %) at 200 rps',
    'errors',
    () => arm({ errorRate: 0.03 }),
    {
      requestsPerSecond: 200,
      targets: { minDetection: 0.99, maxMedianLooksToRollback: 3 },
    },
  ),
  // What the embedded demo's faulty versions do: 1.2.0 from the start, 1.4.0 after a while.
  regression(
    "demo's 1.2.0: errors 1 % → 6 %",
    'errors',
    () => arm({ errorRate: 0.06 }),
    { demo: true, targets: { minDetection: 0.99 } },
  ),
  regression(
    "demo's 1.4.0: good, then 6 % errors after half of stage 1",
    'errors',
    progress => arm({ errorRate: progress < 0.5 ? BASE_ERROR_RATE : 0.06 }),
    { demo: true, targets: { minDetection: 0.95 } },
  ),
  regression('gradual drift 1 % → 3 % over stage 1', 'errors', progress =>
    arm({ errorRate: BASE_ERROR_RATE + 0.02 * Math.min(1, progress) }),
  ),
  regression(
    'good then 3x errors after half of stage 1',
    'errors',
    progress => arm({ errorRate: progress < 0.5 ? BASE_ERROR_RATE : 0.03 }),
    { demo: true, targets: { minDetection: 0.95 } },
  ),
  regression(
    'good then 2x slower after half of stage 1',
    'slow',
    progress => arm({ latencyFactor: progress < 0.5 ? 1 : 2 }),
    { targets: { minDetection: 0.95 } },
  ),
  regression(
    'conversion drop 5 % → 4 %',
    'lost purchases',
    () => arm({ conversion: 0.04 }),
    { conversionMetric: true },
  ),
  nullScenario('true improvement: errors 1 % → 0.5 %', arm(), {
    canary: () => arm({ errorRate: 0.005 }),
  }),
];

/** Whether the canary serves worse than the baseline now: not yet in the good half of good-then-bad. */
export function isWorse(canary: ArmBehaviour, baseline: ArmBehaviour): boolean {
  return (
    canary.errorRate > baseline.errorRate ||
    canary.latencyFactor > baseline.latencyFactor ||
    canary.conversion < baseline.conversion
  );
}

/**
 * The bad requests the canary served in one look of a regression: 0 while it is not (yet) worse,
 * so that the noise of a good first half does not offset them; 0 for a null scenario.
 */
export function harmOf(
  scenario: Scenario,
  canary: ArmSample,
  behaviour: ArmBehaviour,
): number {
  if (!isWorse(behaviour, scenario.baseline)) return 0;
  switch (scenario.harm) {
    case 'errors':
      return canary.errors - canary.requests * scenario.baseline.errorRate;
    case 'slow':
      return canary.requests;
    case 'lost purchases':
      return (
        canary.requests * scenario.baseline.conversion -
        (canary.ratios?.conversion?.count ?? 0)
      );
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Latency buckets
// ---------------------------------------------------------------------------------------------

/** Prometheus' default histogram buckets (client libraries' DefBuckets), seconds. */
const PROMETHEUS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Log-spaced bounds 2 % apart from 1 ms to just past 30 s (522 bounds): a high-resolution histogram. */
function fineBuckets(): number[] {
  const bounds: number[] = [];
  for (let bound = 0.001; bound < 30 * 1.02; bound *= 1.02) {
    bounds.push(Number(bound.toPrecision(6)));
  }
  return bounds;
}

export const BUCKETS: Record<BucketLayout, number[]> = {
  default: PROMETHEUS_BUCKETS,
  fine: fineBuckets(),
};

/** The probability of each bucket (one more than bounds) for the lognormal scaled by `factor`. */
function bucketProbabilities(bounds: number[], factor: number): number[] {
  const mu = Math.log(LATENCY_MEDIAN_S * factor);
  const z = (bound: number) => (Math.log(bound) - mu) / LATENCY_SIGMA;
  const probabilities: number[] = [];
  let below = 0;
  for (const bound of bounds) {
    const cdf = normalCdf(z(bound));
    probabilities.push(cdf - below);
    below = cdf;
  }
  // The open bucket from the upper tail directly, not 1 - cdf.
  probabilities.push(normalSf(z(bounds[bounds.length - 1])));
  return probabilities;
}

// ---------------------------------------------------------------------------------------------
// Simulator
// ---------------------------------------------------------------------------------------------

/** Exact seeded samplers, fast enough for thousands of requests per look. */
export class Draws {
  private readonly random: RandomSource;

  constructor(seed: number) {
    this.random = createSeededRandom(seed);
  }

  /** Binomial(n, p): geometric gaps between successes of the rarer outcome, O(n min(p, 1-p)). */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    const logQ = Math.log1p(-p);
    let successes = 0;
    let position = Math.floor(Math.log(1 - this.random()) / logQ);
    while (position < n) {
      successes++;
      position += 1 + Math.floor(Math.log(1 - this.random()) / logQ);
    }
    return successes;
  }

  /** Poisson(mean) by inversion, in chunks of mean <= 500 so exp(-mean) never underflows. */
  poisson(mean: number): number {
    let total = 0;
    for (let left = mean; left > 0; left -= 500) {
      const chunk = Math.min(left, 500);
      let k = 0;
      let p = Math.exp(-chunk);
      let cumulative = p;
      const u = this.random();
      while (u > cumulative && p > 0) {
        k++;
        p *= chunk / k;
        cumulative += p;
      }
      total += k;
    }
    return total;
  }

  /** Multinomial(n, probabilities) as sequential binomials on the mass left. */
  multinomial(n: number, probabilities: number[]): number[] {
    const counts = new Array<number>(probabilities.length).fill(0);
    let left = n;
    let mass = 1;
    for (let i = 0; i < probabilities.length && left > 0; i++) {
      const last = i === probabilities.length - 1;
      const count =
        last || mass <= 0
          ? left
          : this.binomial(left, Math.min(1, probabilities[i] / mass));
      counts[i] = count;
      left -= count;
      mass -= probabilities[i];
    }
    return counts;
  }
}

/** One look's increments of both arms. */
export interface LookSamples {
  baseline: ArmSample;
  canary: ArmSample;
}

/**
 * Traffic of one rollout: Poisson requests split by the rollout's weights (the baseline is the
 * stable fleet), binomial errors and purchases, multinomial latency buckets.
 */
export class TrafficSimulator {
  private readonly draws: Draws;
  private readonly bounds: number[];
  private readonly probabilities = new Map<number, number[]>();

  constructor(
    seed: number,
    private readonly scenario: Scenario,
    private readonly requestsPerSecond: number,
  ) {
    this.draws = new Draws(seed);
    this.bounds = BUCKETS[scenario.buckets];
  }

  look(weights: Weights, windowMs: number, canary: ArmBehaviour): LookSamples {
    const total = this.draws.poisson(
      (this.requestsPerSecond * windowMs) / 1000,
    );
    const canaryRequests = this.draws.binomial(total, weights.canary / 100);
    return {
      baseline: this.arm(total - canaryRequests, this.scenario.baseline),
      canary: this.arm(canaryRequests, canary),
    };
  }

  private arm(requests: number, behaviour: ArmBehaviour): ArmSample {
    const latency: Histogram = {
      bounds: this.bounds,
      counts: this.draws.multinomial(
        requests,
        this.bucketProbabilities(behaviour.latencyFactor),
      ),
    };
    const sample: ArmSample = {
      requests,
      errors: this.draws.binomial(requests, behaviour.errorRate),
      latency,
    };
    if (this.scenario.conversionMetric) {
      sample.ratios = {
        conversion: {
          count: this.draws.binomial(requests, behaviour.conversion),
          total: requests,
        },
      };
    }
    return sample;
  }

  private bucketProbabilities(factor: number): number[] {
    let probabilities = this.probabilities.get(factor);
    if (!probabilities) {
      probabilities = bucketProbabilities(this.bounds, factor);
      this.probabilities.set(factor, probabilities);
    }
    return probabilities;
  }
}
