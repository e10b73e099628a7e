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
 * Judges one look of a stage: a verdict per metric and the decision, with every reason. This is
 * the one place where verdicts become a decision (like Argo Rollouts' assessRunStatus):
 *
 * - `rollback` as soon as a critical metric's regression is established (a confidence sequence
 *   over the whole stage, or over a sequence restarted during it, lies above its rollback margin;
 *   a hard ceiling is shown exceeded; alpha split across the critical metrics), `pause` when a
 *   non-critical metric's is, or the traffic split is broken;
 * - after `maxConsecutiveNoData` looks without data (the metrics failed to answer, or the look
 *   added fewer than `minRequestsPerLook` canary requests), the no-data policy;
 * - `promote` only when every metric passes (each guardrail shown non-inferior within its margin
 *   over the stage, no recent part of it worse than the margin; gauges within limits), this look
 *   brought data, and the stage's minimum duration and sample size are reached;
 * - at the stage's maximum duration, the inconclusive policy; otherwise `continue`.
 *
 * Decisions use anytime-valid tests on the stage's cumulative counts only, so looking at every
 * tick does not inflate false rollbacks. What the judge carries from look to look (restart points,
 * thresholds, counters) lives in the returned `state`: plain JSON to store and pass back with the
 * next look of the same stage.
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
  const previous = previousState?.version === 2 ? previousState : undefined;
  if (look.error !== undefined) {
    return judgeUnreadable(config, look.error, previous);
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
    const before = previous?.metrics[definition.name];
    let evaluation: Evaluation;
    try {
      evaluation = evaluateMetric(
        definition,
        look.metrics[definition.name] ?? {},
        before,
        levelsOf(definition),
      );
    } catch (error) {
      evaluation = { verdict: errorVerdict(definition, error), newData: false };
    }
    verdicts.push(evaluation.verdict);
    const state = evaluation.state ?? before;
    if (state) metrics[definition.name] = state;
    // Gauges report a value whether or not traffic flows: they count only when alone.
    if (
      evaluation.newData &&
      (definition.kind !== 'gauge' || !statistical.length)
    ) {
      sawData = true;
    }
  }
  const metricCount = verdicts.length;

  let sampleRatioPValue = previous?.sampleRatioPValue;
  const share = look.traffic?.expectedCanaryShare;
  if (look.traffic && share !== undefined) {
    const srm = judgeSampleRatio(
      { ...look.traffic, expectedCanaryShare: share },
      sampleRatioPValue,
      config.sampleRatioAlpha ?? JUDGE_DEFAULTS.sampleRatioAlpha,
    );
    verdicts.push(srm.verdict);
    sampleRatioPValue = srm.pValue;
  }

  // With traffic counts a look has data when it added enough canary requests.
  const minRequests = config.minRequestsPerLook ?? 1;
  const hadData = look.traffic
    ? look.traffic.canary - (previous?.canaryRequests ?? 0) >= minRequests
    : sawData;
  const consecutiveNoData = hadData
    ? 0
    : (previous?.consecutiveNoData ?? 0) + 1;
  const { decision, reason } = combine(
    config,
    look,
    verdicts,
    metricCount,
    consecutiveNoData,
    hadData ? undefined : noDataReason(look, minRequests),
  );
  return {
    decision,
    reason,
    verdicts,
    state: {
      version: 2,
      looks: (previous?.looks ?? 0) + 1,
      consecutiveNoData,
      metrics,
      ...(look.traffic && { canaryRequests: look.traffic.canary }),
      ...(sampleRatioPValue === undefined ? {} : { sampleRatioPValue }),
    },
  };
}

/** Why a look counts as one without data. */
function noDataReason(look: JudgeLook, minRequests: number): string {
  if (!look.traffic) return 'no metric gained observations';
  return `fewer than ${minRequests} new canary requests at this look`;
}

/** A look whose metrics could not be read: nothing is judged, the no-data count goes on. */
function judgeUnreadable(
  config: JudgeConfig,
  error: string,
  previous: JudgeState | undefined,
): JudgeResult {
  const consecutiveNoData = (previous?.consecutiveNoData ?? 0) + 1;
  const verdicts: MetricVerdict[] = [
    {
      metric: 'metrics',
      rule: 'unreadable',
      verdict: 'error',
      explanation: `No metrics for this look: ${error}`,
    },
  ];
  const noData = noDataDecision(
    config,
    consecutiveNoData,
    `no metrics: ${error}`,
  );
  return {
    decision: noData?.decision ?? 'continue',
    reason: noData?.reason ?? `waiting: no metrics at this look (${error})`,
    verdicts,
    state: {
      version: 2,
      metrics: {},
      ...previous,
      looks: (previous?.looks ?? 0) + 1,
      consecutiveNoData,
    },
  };
}

/** The no-data policy, once `maxConsecutiveNoData` looks in a row had no data. */
function noDataDecision(
  config: JudgeConfig,
  consecutiveNoData: number,
  why: string,
): { decision: JudgeDecision; reason: string } | undefined {
  const maxNoData =
    config.maxConsecutiveNoData ?? JUDGE_DEFAULTS.maxConsecutiveNoData;
  if (consecutiveNoData < maxNoData) return undefined;
  const action = config.noDataAction ?? JUDGE_DEFAULTS.noDataAction;
  return {
    decision: action,
    reason: `no usable metrics for ${consecutiveNoData} look${
      consecutiveNoData === 1 ? '' : 's'
    } in a row (limit ${maxNoData}; ${why}): ${policyWords[action]}`,
  };
}

function judgeSampleRatio(
  traffic: { baseline: number; canary: number; expectedCanaryShare: number },
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

/** Turns the verdicts of a look into the decision and its reason. */
function combine(
  config: JudgeConfig,
  look: JudgeLook,
  verdicts: MetricVerdict[],
  metricCount: number,
  consecutiveNoData: number,
  noDataWhy: string | undefined,
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
  const noData =
    noDataWhy && noDataDecision(config, consecutiveNoData, noDataWhy);
  if (noData) return noData;
  const open = verdicts.filter(v => v.verdict !== 'pass');
  const waiting: string[] = [];
  const kinds: Array<[string, string]> = [
    ['inconclusive', 'not yet shown non-inferior'],
    ['nodata', 'without data'],
    ['error', 'failing to evaluate'],
  ];
  for (const [verdict, words] of kinds) {
    const some = open.filter(v => v.verdict === verdict);
    if (some.length) waiting.push(`${names(some)} ${words}`);
  }
  if (noDataWhy) waiting.push(`no data at this look (${noDataWhy})`);
  if (!look.minDurationReached)
    waiting.push('the minimum duration is not reached');
  if (!look.minSampleSizeReached)
    waiting.push('the minimum sample size is not reached');
  if (!waiting.length) {
    return {
      decision: 'promote',
      reason: `all ${metricCount} metric${
        metricCount === 1 ? '' : 's'
      } pass and the stage's minimum duration and sample size are reached: promoting`,
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
