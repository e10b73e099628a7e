import {
  ArmData,
  ArmSample,
  JudgeResult,
  MetricDefinition,
  MetricLookData,
  StageTotals,
  judgeLook,
} from '@canary-release/backstage-plugin-canary-common';
import type { RolloutRecord } from './types';

/**
 * The statistical judge of canary-common, fed from a stage's cumulative samples. Its decisions
 * stand beside the threshold rules: both must hold to promote, either can roll back.
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
}

/** Judges the stage so far; a judge that cannot judge (bad input) yields an `error` verdict. */
export function judgeStage(
  rollout: RolloutRecord,
  totals: StageTotals,
  flags: StageFlags,
): JudgeResult | { error: string } {
  const settings = rollout.strategy.analysis;
  if (settings.metrics.length === 0) return { error: 'no metrics configured' };
  const metrics: Record<string, MetricLookData> = {};
  for (const definition of settings.metrics) {
    metrics[definition.name] = {
      baseline: armData(definition, totals.baseline),
      canary: armData(definition, totals.canary),
    };
  }
  const canaryShare = rollout.weights.canary / 100;
  try {
    return judgeLook(
      {
        metrics: settings.metrics,
        alpha: settings.alpha,
        inconclusiveAction: settings.inconclusiveAction,
        noDataAction: settings.noDataAction,
        maxConsecutiveNoData: settings.maxConsecutiveNoData,
      },
      {
        metrics,
        ...flags,
        minSampleSizeReached:
          totals.canary.requests >= settings.minRequestsPerStage,
        // The engine has already set looks without data aside.
        consecutiveNoData: 0,
        // The split is only known when the baseline is the whole stable fleet.
        traffic: rollout.strategy.dedicatedBaseline
          ? undefined
          : {
              baseline: totals.baseline.requests,
              canary: totals.canary.requests,
              expectedCanaryShare: canaryShare,
            },
      },
      rollout.analysis.judgeState,
    );
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
