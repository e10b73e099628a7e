import {
  planStage,
  type Rollout,
  type Stage,
  type Strategy,
} from '@canary-release/backstage-plugin-canary-common';

/** The traffic a past rollout saw: the default of the planner's inputs. */
export interface ObservedTraffic {
  /** Requests per second reaching the service, both versions together. */
  requestsPerSecond: number;
  /** Errors per request of the baseline. */
  baselineErrorRate: number;
  /** How many baseline requests the error rate is based on. */
  baselineRequests: number;
  /** The rollout it was observed in. */
  rollout: Rollout;
}

/**
 * The traffic of the newest rollout in `rollouts` that measured any: its current (or last)
 * stage's request totals over the time from the stage's start to its last look at the metrics.
 * With a dedicated baseline only the canary's share of the traffic is measured, so the total is
 * scaled up from it.
 */
export function observedTraffic(
  rollouts: Rollout[],
): ObservedTraffic | undefined {
  for (const rollout of rollouts) {
    const { stageStartedAt } = rollout;
    const { lastLookAt, stageTotals } = rollout.analysis;
    const stage = rollout.strategy.stages[rollout.stageIndex];
    if (!stage || !stageStartedAt || !lastLookAt) continue;
    const seconds =
      (Date.parse(lastLookAt) - Date.parse(stageStartedAt)) / 1000;
    const { baseline, canary } = stageTotals;
    if (!(seconds > 0) || baseline.requests <= 0 || canary.requests <= 0) {
      continue;
    }
    const requests = rollout.strategy.dedicatedBaseline
      ? canary.requests / (stage.weight / 100)
      : baseline.requests + canary.requests;
    return {
      requestsPerSecond: requests / seconds,
      baselineErrorRate: baseline.errors / baseline.requests,
      baselineRequests: baseline.requests,
      rollout,
    };
  }
  return undefined;
}

/** The planner's inputs that the launch dialog asks for. */
export interface TrafficAssumptions {
  requestsPerSecond: number;
  /** Must be above zero: the planner needs some variance. */
  baselineErrorRate: number;
}

/** How long one stage needs to reach a decision on the error rate, or why it cannot be said. */
export type StageEstimate =
  | {
      /** Seconds until a canary as good as the baseline is promoted (at a look). */
      promoteSeconds: number;
      /** Seconds until a regression of twice the margin is rolled back (at a look). */
      detectSeconds: number;
      /** The regression the detection time is for, as a difference of error rates. */
      regression: number;
      /** The promotion comes before the stage's maximum duration. */
      fits: boolean;
    }
  | { unavailable: string };

/** A time at the first look at or after it: the engine decides only when it looks. */
function atLook(seconds: number, intervalMs: number): number {
  const interval = intervalMs / 1000;
  return interval > 0 ? Math.ceil(seconds / interval) * interval : seconds;
}

/**
 * The planner's estimate (`planStage` of canary-common, the judge's own test) for each stage:
 * how long a healthy canary takes to be promoted and a regression of twice the error-rate
 * metric's margin to be caught, at the given traffic. A promotion also waits for the stage's
 * minimum duration and minimum number of canary requests; decisions fall on looks.
 */
export function planStages(
  stages: Stage[],
  strategy: Pick<Strategy, 'analysis' | 'dedicatedBaseline'>,
  traffic: TrafficAssumptions,
): StageEstimate[] {
  const { analysis } = strategy;
  const errorRate = analysis.metrics.find(
    m => m.kind === 'proportion' && m.name === 'error-rate',
  );
  if (!errorRate || errorRate.kind !== 'proportion') {
    return stages.map(() => ({
      unavailable: 'The strategy has no error-rate metric to plan with.',
    }));
  }
  // The judge splits alpha across the metrics whose regression triggers the same action.
  const statistical = analysis.metrics.filter(m => m.kind !== 'gauge');
  const family = statistical.filter(
    m => Boolean(m.critical) === Boolean(errorRate.critical),
  ).length;

  return stages.map(stage => {
    const baselineWeight = strategy.dedicatedBaseline
      ? stage.weight
      : 100 - stage.weight;
    if (baselineWeight <= 0) {
      return {
        unavailable: 'All traffic goes to the canary: nothing to compare with.',
      };
    }
    try {
      const plan = planStage({
        requestsPerSecond: traffic.requestsPerSecond,
        canaryWeight: stage.weight,
        baselineWeight,
        baselineRate: traffic.baselineErrorRate,
        margin: errorRate.margin,
        rollbackMargin: errorRate.rollbackMargin,
        direction: errorRate.direction,
        alpha: analysis.alpha,
        failAlpha: analysis.alpha / Math.max(1, family),
      });
      const promoteSeconds = atLook(
        Math.max(
          plan.promote.seconds,
          stage.minDurationMs / 1000,
          analysis.minRequestsPerStage / plan.canaryRequestsPerSecond,
        ),
        analysis.intervalMs,
      );
      return {
        promoteSeconds,
        detectSeconds: atLook(plan.detect.seconds, analysis.intervalMs),
        regression: plan.detect.regression,
        fits: promoteSeconds <= stage.maxDurationMs / 1000,
      };
    } catch (error) {
      return { unavailable: (error as Error).message };
    }
  });
}

/** A rough duration: `~40 s`, `~4 min`, `~2.5 h`. */
export function formatApproxDuration(seconds: number): string {
  if (seconds < 90) return `~${Math.ceil(seconds)} s`;
  if (seconds < 90 * 60) return `~${Math.round(seconds / 60)} min`;
  return `~${Number((seconds / 3600).toPrecision(2))} h`;
}
