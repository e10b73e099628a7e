import {
  ArmData,
  ArmSample,
  JudgeDecision,
  JudgeState,
  MetricDefinition,
  MetricLookData,
  MetricVerdict,
  StageTotals,
  judgeLook,
} from '@canary-release/backstage-plugin-canary-common';
import type { RolloutRecord } from './types';

/**
 * Feeds canary-common's judge from a stage's cumulative samples. The judge is the one place that
 * turns metrics into a decision; this file only says where each metric's numbers come from.
 */

/** Where each metric's numbers come from in an arm sample; undefined is no data. */
function armData(
  definition: MetricDefinition,
  sample: ArmSample,
): ArmData | undefined {
  if (definition.kind === 'proportion' && definition.name === 'error-rate') {
    return { count: sample.errors, total: sample.requests };
  }
  if (definition.kind === 'distribution') {
    return sample.latency ? { histogram: sample.latency } : undefined;
  }
  if (definition.kind === 'gauge') {
    const value = sample.gauges?.[definition.name];
    return value === undefined ? undefined : { value };
  }
  const pair = sample.ratios?.[definition.name];
  if (!pair) return undefined;
  return definition.kind === 'count'
    ? { events: pair.count, exposure: pair.total }
    : pair;
}

export interface StageFlags {
  minDurationReached: boolean;
  maxDurationReached: boolean;
  /** Why this look has no metrics (the provider failed), if it has none. */
  error?: string;
}

export interface StageJudgement {
  decision: JudgeDecision;
  reason: string;
  verdicts: MetricVerdict[];
  /** Absent when the strategy itself cannot be judged (its metric definitions are invalid). */
  state?: JudgeState;
}

/** Judges the stage so far; a strategy the judge refuses waits with an `error` verdict. */
export function judgeStage(
  rollout: RolloutRecord,
  totals: StageTotals,
  flags: StageFlags,
): StageJudgement {
  const settings = rollout.strategy.analysis;
  const metrics: Record<string, MetricLookData> = {};
  for (const definition of settings.metrics) {
    metrics[definition.name] = {
      baseline: armData(definition, totals.baseline),
      canary: armData(definition, totals.canary),
    };
  }
  try {
    return judgeLook(
      {
        metrics: settings.metrics,
        alpha: settings.alpha,
        inconclusiveAction: settings.inconclusiveAction,
        noDataAction: settings.noDataAction,
        maxConsecutiveNoData: settings.maxConsecutiveNoData,
        minRequestsPerLook: settings.minRequestsPerLook,
      },
      {
        metrics,
        minDurationReached: flags.minDurationReached,
        maxDurationReached: flags.maxDurationReached,
        minSampleSizeReached:
          totals.canary.requests >= settings.minRequestsPerStage,
        error: flags.error,
        traffic: {
          baseline: totals.baseline.requests,
          canary: totals.canary.requests,
          // The split is only known when the baseline is the whole stable fleet.
          expectedCanaryShare: rollout.strategy.dedicatedBaseline
            ? undefined
            : rollout.weights.canary / 100,
        },
      },
      rollout.analysis.judgeState,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      decision: 'continue',
      reason: `the judge could not judge this look: ${message}`,
      verdicts: [
        {
          metric: 'judge',
          rule: 'statistics',
          verdict: 'error',
          explanation: `The statistical judge could not judge this look: ${message}`,
        },
      ],
    };
  }
}
