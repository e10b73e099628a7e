import { msprtHalfWidth, msprtTau2ForMargin } from '../stats/msprt';
import { normalIsf } from '../stats/normal';
import {
  assertFinite,
  assertNonNegative,
  assertOpenUnit,
  assertPositive,
} from '../stats/validate';
import { StatisticsInputError } from '../stats/errors';
import type { MetricDirection } from './types';
import { JUDGE_DEFAULTS } from './judge';

/** @public */
export interface StagePlanInput {
  /** Requests per second reaching the service (all versions). */
  requestsPerSecond: number;
  /** Percent of traffic the stage sends to the canary, e.g. 5. */
  canaryWeight: number;
  /**
   * Percent of traffic of the arm the canary is compared with: by default the stable version's
   * (100 - canaryWeight); the canary's weight for a baseline deployed at the canary's size.
   */
  baselineWeight?: number;
  /** The baseline's rate, e.g. an error rate of 0.01. */
  baselineRate: number;
  /** Absolute non-inferiority margin, e.g. 0.002 (0.2 points). */
  margin: number;
  /** Default 0. */
  rollbackMargin?: number;
  /** Default `lower-is-better`. */
  direction?: MetricDirection;
  /** Default 0.05, as the judge. */
  alpha?: number;
  /** Significance level for establishing a regression; default alpha (one critical metric). */
  failAlpha?: number;
  /** Probability of reaching the decision by the planned time; default 0.8. */
  power?: number;
  /** The regression to plan detection for, absolute; default twice the margin. */
  regression?: number;
}

/** @public */
export interface PlannedDecision {
  /** Expected seconds until the decision is reached with the planned probability. */
  seconds: number;
  canaryRequests: number;
  baselineRequests: number;
}

/** @public */
export interface StagePlan {
  canaryRequestsPerSecond: number;
  baselineRequestsPerSecond: number;
  /** When a canary as good as the baseline is shown non-inferior (and can be promoted). */
  promote: PlannedDecision;
  /** When a canary worse by `regression` is rolled back. */
  detect: PlannedDecision & { regression: number };
}

/**
 * How long a stage needs to reach a decision on a proportion metric (for the launch dialog),
 * with the judge's own test: the normal-mixture confidence sequence tuned to the margin.
 * A canary as good as the baseline is promoted once the sequence's upper bound falls below the
 * margin; a regression is rolled back once its lower bound rises above the rollback margin. Each
 * time is when that happens with probability `power` (normal approximation, equal true rates).
 *
 * @public
 */
export function planStage(input: StagePlanInput): StagePlan {
  const alpha = input.alpha ?? JUDGE_DEFAULTS.alpha;
  const failAlpha = input.failAlpha ?? alpha;
  const power = input.power ?? 0.8;
  const rollbackMargin = input.rollbackMargin ?? 0;
  const regression = input.regression ?? 2 * input.margin;
  assertPositive('requestsPerSecond', input.requestsPerSecond);
  const baselineWeight = input.baselineWeight ?? 100 - input.canaryWeight;
  for (const [name, weight] of [
    ['canaryWeight', input.canaryWeight],
    ['baselineWeight', baselineWeight],
  ] as const) {
    assertPositive(name, weight);
    if (weight > 100) {
      throw new StatisticsInputError(`${name} is a percentage, at most 100`);
    }
  }
  assertOpenUnit('baselineRate', input.baselineRate);
  assertOpenUnit('margin', input.margin);
  assertNonNegative('rollbackMargin', rollbackMargin);
  assertOpenUnit('alpha', alpha);
  assertOpenUnit('failAlpha', failAlpha);
  assertOpenUnit('power', power);
  assertFinite('regression', regression);
  if (regression <= rollbackMargin) {
    throw new StatisticsInputError(
      'regression must exceed the rollback margin',
    );
  }
  const p = input.baselineRate;
  const canaryRate =
    input.direction === 'higher-is-better' ? p - regression : p + regression;
  if (!(canaryRate > 0 && canaryRate < 1)) {
    throw new StatisticsInputError(
      `a regression of ${regression} from ${p} leaves the range of rates`,
    );
  }
  const canaryPerSecond = (input.requestsPerSecond * input.canaryWeight) / 100;
  const baselinePerSecond = (input.requestsPerSecond * baselineWeight) / 100;
  const tau2 = msprtTau2ForMargin(input.margin, alpha);
  const z = normalIsf(1 - power);
  // Variance of the difference after t seconds is unitVariance / t.
  const decide = (unitVariance: number, level: number, distance: number) => {
    const seconds = secondsUntil(t => {
      const v = unitVariance / t;
      return msprtHalfWidth(v, tau2, level) + z * Math.sqrt(v) < distance;
    });
    return {
      seconds,
      canaryRequests: Math.ceil(seconds * canaryPerSecond),
      baselineRequests: Math.ceil(seconds * baselinePerSecond),
    };
  };
  const baselineVariance = (p * (1 - p)) / baselinePerSecond;
  return {
    canaryRequestsPerSecond: canaryPerSecond,
    baselineRequestsPerSecond: baselinePerSecond,
    promote: decide(
      (p * (1 - p)) / canaryPerSecond + baselineVariance,
      alpha,
      input.margin,
    ),
    detect: {
      regression,
      ...decide(
        (canaryRate * (1 - canaryRate)) / canaryPerSecond + baselineVariance,
        failAlpha,
        regression - rollbackMargin,
      ),
    },
  };
}

/** The first time (seconds, to 0.1 % precision) from which `reached` holds; it is monotone in t. */
function secondsUntil(reached: (t: number) => boolean): number {
  let hi = 1;
  while (!reached(hi)) hi *= 2;
  let lo = hi / 2;
  while (lo > 1e-9 && reached(lo)) {
    hi = lo;
    lo /= 2;
  }
  while (hi - lo > 1e-3 * hi) {
    const mid = (lo + hi) / 2;
    if (reached(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
