import type { MetricVerdict, PolicyAction } from '../model';
import { sampleRatioMismatchStep } from '../stats/countTest';
import { evaluateMetric, errorVerdict, type Evaluation } from './metrics';
import { AnalysisInputError, definitionProblems } from './validation';
import type {
  JudgeConfig,
  JudgeDecision,
  JudgeLook,
  JudgeResult,
  JudgeState,
  MetricDefinition,
  MetricJudgeState,
} from './types';

/** Defaults of JudgeConfig. @public */
export const JUDGE_DEFAULTS = {
  alpha: 0.05,
  inconclusiveAction: 'pause' as PolicyAction,
  noDataAction: 'pause' as PolicyAction,
  maxConsecutiveNoData: 3,
  sampleRatioAlpha: 0.001,
};

const policyWords: Record<PolicyAction, string> = {
  pause: 'pausing for a decision',
  rollback: 'rolling back',
};

/**
 * Judges one look of a stage: a verdict per metric and the combined decision.
 *
 * - `rollback` as soon as a critical metric's regression is established (its harm confidence
 *   sequence lies above its rollback margin; alpha split across the critical metrics), `pause`
 *   when a non-critical metric's is, or the traffic split is broken;
 * - `promote` only when every metric passes (each guardrail's harm confidence sequence lies below
 *   its margin, gauges within limits), this look brought new data, and the stage's minimum
 *   duration and sample size are reached;
 * - after `maxConsecutiveNoData` looks without data, the no-data policy; at the stage's maximum
 *   duration, the inconclusive policy; otherwise `continue`.
 *
 * Decisions use the anytime-valid tests only, so looking at every tick does not inflate false
 * rollbacks. The running values (p-values, intersections of confidence sequences) live in the
 * returned `state`: plain JSON to store and pass back with the next look of the same stage.
 *
 * @public
 */
export function judgeLook(
  config: JudgeConfig,
  look: JudgeLook,
  previousState?: JudgeState,
): JudgeResult {
  const problems = definitionProblems(config.metrics);
  if (problems.length) throw new AnalysisInputError(problems);
  const alpha = config.alpha ?? JUDGE_DEFAULTS.alpha;
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new AnalysisInputError([`alpha: must be in (0, 0.5), got ${alpha}`]);
  }
  const statistical = config.metrics.filter(m => m.kind !== 'gauge');
  const criticalCount = statistical.filter(m => m.critical).length;
  const otherCount = statistical.length - criticalCount;
  // Bonferroni within each family that triggers an action: critical (rollback), other (pause).
  const levelsOf = (m: MetricDefinition) => ({
    promote: alpha,
    fail: alpha / Math.max(1, m.critical ? criticalCount : otherCount),
  });

  const verdicts: MetricVerdict[] = [];
  const metrics: Record<string, MetricJudgeState> = {};
  let sawData = false;
  for (const definition of config.metrics) {
    const previous = previousState?.metrics[definition.name];
    let evaluation: Evaluation;
    try {
      evaluation = evaluateMetric(
        definition,
        look.metrics[definition.name] ?? {},
        previous,
        levelsOf(definition),
      );
    } catch (error) {
      evaluation = { verdict: errorVerdict(definition, error), newData: false };
    }
    verdicts.push(evaluation.verdict);
    const state = evaluation.state ?? previous;
    if (state) metrics[definition.name] = state;
    // Gauges report a value whether or not traffic flows: they count only when alone.
    if (
      evaluation.newData &&
      (definition.kind !== 'gauge' || !statistical.length)
    ) {
      sawData = true;
    }
  }

  let sampleRatioPValue = previousState?.sampleRatioPValue;
  if (look.traffic) {
    const srm = judgeSampleRatio(
      look.traffic,
      sampleRatioPValue,
      config.sampleRatioAlpha ?? JUDGE_DEFAULTS.sampleRatioAlpha,
    );
    verdicts.push(srm.verdict);
    sampleRatioPValue = srm.pValue;
  }

  const consecutiveNoData =
    look.consecutiveNoData ??
    (sawData ? 0 : (previousState?.consecutiveNoData ?? 0) + 1);
  const { decision, reason } = decide(
    config,
    look,
    verdicts,
    consecutiveNoData,
  );
  return {
    decision,
    reason,
    verdicts,
    state: {
      version: 1,
      looks: (previousState?.looks ?? 0) + 1,
      consecutiveNoData,
      metrics,
      ...(sampleRatioPValue === undefined ? {} : { sampleRatioPValue }),
    },
  };
}

function judgeSampleRatio(
  traffic: NonNullable<JudgeLook['traffic']>,
  previousPValue: number | undefined,
  alpha: number,
): { verdict: MetricVerdict; pValue?: number } {
  const share = traffic.expectedCanaryShare;
  try {
    const step = sampleRatioMismatchStep(
      previousPValue === undefined
        ? undefined
        : { looks: 0, pValue: previousPValue },
      [traffic.baseline, traffic.canary],
      [1 - share, share],
      { alpha },
    );
    const observed = step.observedShares[1];
    const head = `the canary received ${formatShare(
      observed,
    )} of the compared traffic, ${formatShare(share)} expected`;
    return {
      pValue: step.pValue,
      verdict: {
        metric: 'sample-ratio',
        rule: 'srm',
        verdict: step.mismatch ? 'fail' : 'pass',
        unit: 'fraction',
        scale: 'absolute',
        estimate: observed,
        threshold: share,
        pValue: step.pValue,
        sampleSize: { baseline: traffic.baseline, canary: traffic.canary },
        critical: false,
        explanation: step.mismatch
          ? `${head}: the traffic split is broken (p = ${step.pValue.toPrecision(
              2,
            )}), so the comparison is biased: pausing for a decision`
          : `${head}: consistent with the configured split`,
      },
    };
  } catch (error) {
    return {
      pValue: previousPValue,
      verdict: {
        ...errorVerdict({ name: 'sample-ratio', kind: 'count' }, error),
        critical: false,
      },
    };
  }
}

function formatShare(share: number): string {
  return `${Number((share * 100).toPrecision(3))} %`;
}

const names = (verdicts: MetricVerdict[]) =>
  verdicts.map(v => v.metric).join(', ');

function decide(
  config: JudgeConfig,
  look: JudgeLook,
  verdicts: MetricVerdict[],
  consecutiveNoData: number,
): { decision: JudgeDecision; reason: string } {
  const failing = verdicts.filter(v => v.verdict === 'fail');
  const critical = failing.filter(v => v.critical);
  if (critical.length) {
    return {
      decision: 'rollback',
      reason: `${names(critical)} regressed: ${critical[0].explanation}`,
    };
  }
  if (failing.length) {
    return {
      decision: 'pause',
      reason: `${names(failing)} regressed (not critical): ${
        failing[0].explanation
      }`,
    };
  }
  const maxNoData =
    config.maxConsecutiveNoData ?? JUDGE_DEFAULTS.maxConsecutiveNoData;
  if (consecutiveNoData >= maxNoData) {
    const action = config.noDataAction ?? JUDGE_DEFAULTS.noDataAction;
    return {
      decision: action,
      reason: `${consecutiveNoData} consecutive looks without new data (limit ${maxNoData}): ${policyWords[action]}`,
    };
  }
  const open = verdicts.filter(v => v.verdict !== 'pass');
  const waiting: string[] = [];
  if (open.length) {
    const kinds: Array<[string, string]> = [
      ['inconclusive', 'not yet shown non-inferior'],
      ['nodata', 'without data'],
      ['error', 'failing to evaluate'],
    ];
    for (const [verdict, words] of kinds) {
      const some = open.filter(v => v.verdict === verdict);
      if (some.length) waiting.push(`${names(some)} ${words}`);
    }
  }
  if (consecutiveNoData > 0) waiting.push('no new data at this look');
  if (!look.minDurationReached)
    waiting.push('the minimum duration is not reached');
  if (!look.minSampleSizeReached)
    waiting.push('the minimum sample size is not reached');
  if (!waiting.length) {
    return {
      decision: 'promote',
      reason: `all ${verdicts.length} metrics pass and the stage's minimum duration and sample size are reached: promoting`,
    };
  }
  if (look.maxDurationReached) {
    const action =
      config.inconclusiveAction ?? JUDGE_DEFAULTS.inconclusiveAction;
    return {
      decision: action,
      reason: `the stage reached its maximum duration with ${waiting.join(
        '; ',
      )}: ${policyWords[action]}`,
    };
  }
  return { decision: 'continue', reason: `waiting: ${waiting.join('; ')}` };
}
