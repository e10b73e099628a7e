import { ConflictError } from '@backstage/errors';
import {
  MetricVerdict,
  Phase,
  RolloutEvent,
  addArmSamples,
  emptyArmSample,
  eventForAction,
  isFinalPhase,
  nextPhase,
} from '@canary-release/backstage-plugin-canary-common';
import { ALL_STABLE, reconcile, stageWeights } from './reconcile';
import { judgeStage } from './statistics';
import { rollbackVerdicts, successVerdicts } from './thresholds';
import type {
  AuditEventDraft,
  Decision,
  Look,
  LookRecord,
  Observations,
  RolloutRecord,
} from './types';

/** Accumulates the changes of one decision. */
class Step {
  readonly before: RolloutRecord;
  rollout: RolloutRecord;
  readonly events: AuditEventDraft[] = [];
  lookRecord?: LookRecord;
  private touched = false;

  constructor(rollout: RolloutRecord, readonly now: Date) {
    this.before = rollout;
    this.rollout = structuredClone(rollout);
  }

  get nowIso() {
    return this.now.toISOString();
  }

  get isLastStage() {
    return this.rollout.stageIndex >= this.rollout.strategy.stages.length - 1;
  }

  update(patch: Partial<RolloutRecord>) {
    this.rollout = { ...this.rollout, ...patch };
    this.touched = true;
  }

  /** Moves to the phase the table gives for `event`, and records it. */
  transition(
    event: RolloutEvent,
    actor: string,
    reason: string,
    details: Record<string, unknown>,
    action: string = event,
  ) {
    const from = this.rollout.phase;
    const to = nextPhase(from, event);
    if (!to) {
      throw new ConflictError(`Cannot ${action} a rollout that is ${from}`);
    }
    const weightsBefore = this.rollout.weights;
    enter(this, event, to, reason);
    this.events.push({
      rolloutId: this.rollout.id,
      entityRef: this.rollout.entityRef,
      at: this.nowIso,
      actor,
      action,
      phaseBefore: from,
      phaseAfter: this.rollout.phase,
      stageIndex: this.rollout.stageIndex,
      weightsBefore,
      weightsAfter: this.rollout.weights,
      reason,
      details,
    });
  }

  /** Records something that happened without a phase change. */
  note(action: string, reason: string, details: Record<string, unknown>) {
    this.events.push({
      rolloutId: this.rollout.id,
      entityRef: this.rollout.entityRef,
      at: this.nowIso,
      actor: 'engine',
      action,
      phaseBefore: this.rollout.phase,
      phaseAfter: this.rollout.phase,
      stageIndex: this.rollout.stageIndex,
      weightsBefore: this.rollout.weights,
      weightsAfter: this.rollout.weights,
      reason,
      details,
    });
  }

  finish(observations: Observations): Decision {
    const plan = reconcile(this.rollout, observations.actual);
    if (
      plan.canarySizedFor !== undefined &&
      plan.canarySizedFor !== this.rollout.canarySizedFor
    ) {
      this.update({ canarySizedFor: plan.canarySizedFor });
    }
    const changed = this.touched || this.events.length > 0;
    const rollout = changed
      ? { ...this.rollout, updatedAt: this.nowIso }
      : this.rollout;
    return {
      rollout,
      actions: plan.actions,
      events: this.events,
      lookRecord: this.lookRecord,
      changed: changed || this.lookRecord !== undefined,
    };
  }
}

/** What entering phase `to` through `event` does to the rollout, besides the phase. */
function enter(step: Step, event: RolloutEvent, to: Phase, reason: string) {
  const r = step.rollout;
  const patch: Partial<RolloutRecord> = { phase: to, message: reason };
  switch (event) {
    case 'start':
      Object.assign(patch, enterStage(r, 0, step.now));
      break;
    case 'advance':
      Object.assign(patch, enterStage(r, r.stageIndex + 1, step.now));
      break;
    case 'resume':
      Object.assign(patch, restartStageClock(r, step.now));
      break;
    case 'complete':
      patch.weights = ALL_STABLE;
      patch.shiftStartedAt = step.nowIso;
      break;
    case 'rollback':
    case 'abort':
      if (r.phase === 'Pending') break; // nothing was shifted yet
      patch.weights = ALL_STABLE;
      patch.rollbackEndPhase = event === 'abort' ? 'Aborted' : 'RolledBack';
      // The table sends both to RollingBack; abort from Pending ends at once.
      break;
    case 'rolled-back':
      patch.phase = r.rollbackEndPhase ?? 'RolledBack';
      break;
    case 'retry':
      Object.assign(patch, {
        stageIndex: -1,
        stageStartedAt: undefined,
        weights: ALL_STABLE,
        rollbackEndPhase: undefined,
        finishedAt: undefined,
        analysis: freshAnalysis(),
      });
      break;
    default:
      break;
  }
  if (isFinalPhase(patch.phase ?? to)) patch.finishedAt = step.nowIso;
  step.update(patch);
}

function pastDeadline(r: RolloutRecord, now: Date): boolean {
  return (
    r.shiftStartedAt !== undefined &&
    now.getTime() - Date.parse(r.shiftStartedAt) > r.strategy.progressDeadlineMs
  );
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

function freshAnalysis(): RolloutRecord['analysis'] {
  return {
    consecutiveNoData: 0,
    stageTotals: { baseline: emptyArmSample(), canary: emptyArmSample() },
    latestVerdicts: [],
  };
}

/** Enters stage `index`: the stage clock starts once the router confirms its weights. */
function enterStage(
  r: RolloutRecord,
  index: number,
  now: Date,
): Partial<RolloutRecord> {
  return {
    stageIndex: index,
    shiftStartedAt: now.toISOString(),
    stageStartedAt: undefined,
    weights: stageWeights(r.strategy.stages[index].weight),
    analysis: freshAnalysis(),
  };
}

function restartStageClock(
  r: RolloutRecord,
  now: Date,
): Partial<RolloutRecord> {
  return {
    stageStartedAt: now.toISOString(),
    analysis: {
      ...freshAnalysis(),
      nextLookAt: new Date(
        now.getTime() + r.strategy.analysis.intervalMs,
      ).toISOString(),
    },
  };
}

function applyCommand(step: Step, observations: Observations) {
  const { action, actor, reason } = observations.command!;
  const phase = step.rollout.phase;
  const event = eventForAction(action, phase, step.isLastStage);
  if (!event || !nextPhase(phase, event)) {
    throw new ConflictError(
      `Cannot ${action} a rollout that is ${phase}${
        action === 'approve' ? ': it is not waiting for approval' : ''
      }`,
    );
  }
  const why = reason?.trim() || `${action} requested by ${actor}`;
  step.transition(event, actor, why, { command: action }, action);
}

/** One engine tick: reconcile confirmations, then a look at the metrics when one was taken. */
function tick(step: Step, observations: Observations) {
  const r = step.rollout;
  switch (r.phase) {
    case 'Pending':
      step.transition(
        'start',
        'engine',
        `Starting: ${r.strategy.stages[0].weight} % of traffic to ${r.canaryVersion}`,
        {},
      );
      return;
    case 'Promoting': {
      const plan = reconcile(r, observations.actual);
      if (!plan.converged && pastDeadline(r, step.now)) {
        step.transition(
          'fail',
          'engine',
          `The promotion did not complete within the progress deadline (${formatMs(
            r.strategy.progressDeadlineMs,
          )}): still waiting for ${
            plan.waitingFor ?? 'the router and workload to answer'
          }`,
          {
            actual: observations.actual,
            actualError: observations.actualError,
          },
        );
        return;
      }
      if (plan.converged && observations.actual) {
        step.transition(
          'promoted',
          'engine',
          `${r.canaryVersion} is now the stable version and serves all traffic`,
          { actual: observations.actual },
        );
      }
      return;
    }
    case 'RollingBack':
      if (reconcile(r, observations.actual).converged && observations.actual) {
        step.transition(
          'rolled-back',
          'engine',
          `All traffic is back on ${r.stableVersion}; the canary is removed`,
          { actual: observations.actual },
        );
      }
      return;
    case 'Progressing':
    case 'Paused':
    case 'AwaitingApproval':
      tickStage(step, observations);
      return;
    default:
      return;
  }
}

function tickStage(step: Step, observations: Observations) {
  const r = step.rollout;
  if (!r.stageStartedAt) {
    // The stage begins when the router confirms its weights.
    const plan = reconcile(r, observations.actual);
    if (!plan.converged && pastDeadline(r, step.now)) {
      step.transition(
        'rollback',
        'engine',
        `Stage ${
          r.stageIndex + 1
        } was not in place within the progress deadline (${formatMs(
          r.strategy.progressDeadlineMs,
        )}): still waiting for ${
          plan.waitingFor ?? 'the router and workload to answer'
        }`,
        { actual: observations.actual, actualError: observations.actualError },
      );
      return;
    }
    if (observations.actual && plan.converged) {
      step.update(restartStageClock(r, step.now));
      step.note(
        'traffic-shifted',
        `Stage ${r.stageIndex + 1}: ${r.weights.canary} % of traffic on ${
          r.canaryVersion
        }`,
        { weights: r.weights },
      );
    }
    return;
  }
  if (observations.look) judgeLook(step, observations.look);
}

/** A look at the metrics: rollback rules always, the stage's success rules when it may end. */
function judgeLook(step: Step, look: Look) {
  const r = step.rollout;
  const settings = r.strategy.analysis;
  const nextLookAt = new Date(
    step.now.getTime() + settings.intervalMs,
  ).toISOString();
  const hasData =
    !look.error &&
    look.baseline !== undefined &&
    look.canary !== undefined &&
    look.canary.requests >= settings.minRequestsPerLook;

  if (!hasData) {
    const consecutiveNoData = r.analysis.consecutiveNoData + 1;
    const verdicts: MetricVerdict[] = [
      {
        metric: 'requests',
        rule: 'analysis.minRequestsPerLook',
        verdict: look.error ? 'error' : 'nodata',
        canary: look.canary?.requests,
        threshold: settings.minRequestsPerLook,
        explanation: look.error
          ? `No metrics for this look: ${look.error}`
          : `The canary served ${
              look.canary?.requests ?? 0
            } requests in this look; ${
              settings.minRequestsPerLook
            } are needed to judge it.`,
      },
    ];
    step.lookRecord = { look, stageIndex: r.stageIndex, verdicts };
    step.update({
      analysis: {
        ...r.analysis,
        lastLookAt: step.nowIso,
        nextLookAt,
        consecutiveNoData,
        latestVerdicts: verdicts,
      },
    });
    if (consecutiveNoData >= settings.maxConsecutiveNoData) {
      applyPolicy(
        step,
        settings.noDataAction,
        `No usable metrics for ${consecutiveNoData} looks in a row (${verdicts[0].explanation})`,
        { verdicts, consecutiveNoData },
      );
    }
    return;
  }

  const stageTotals = {
    baseline: addArmSamples(r.analysis.stageTotals.baseline, look.baseline!),
    canary: addArmSamples(r.analysis.stageTotals.canary, look.canary!),
  };
  const fired = rollbackVerdicts(
    settings.thresholds.rollback,
    look.baseline!,
    look.canary!,
  );
  const elapsed = step.now.getTime() - Date.parse(r.stageStartedAt!);
  const stage = r.strategy.stages[r.stageIndex];
  const judging = r.phase === 'Progressing';
  const mayEnd = judging && elapsed >= stage.minDurationMs;
  const pastMax = judging && elapsed >= stage.maxDurationMs;
  const success = mayEnd
    ? successVerdicts(
        settings.thresholds.success,
        stageTotals,
        settings.minRequestsPerStage,
      )
    : [];
  const judged = judgeStage(r, stageTotals, {
    minDurationReached: mayEnd,
    maxDurationReached: pastMax,
  });
  const statistical =
    'error' in judged
      ? [
          {
            metric: 'judge',
            rule: 'statistics',
            verdict: 'error' as const,
            explanation: `The statistical judge could not judge this look: ${judged.error}`,
          },
        ]
      : judged.verdicts;
  const verdicts = [...fired, ...success, ...statistical];
  step.lookRecord = { look, stageIndex: r.stageIndex, verdicts };
  step.update({
    analysis: {
      lastLookAt: step.nowIso,
      nextLookAt,
      consecutiveNoData: 0,
      stageTotals,
      latestVerdicts: verdicts,
      judgeState: 'error' in judged ? r.analysis.judgeState : judged.state,
    },
  });
  const decision = 'error' in judged ? 'continue' : judged.decision;
  const judgeReason = 'error' in judged ? '' : judged.reason;
  const details = { verdicts, look, stageTotals, decision };

  // Either the threshold rules or the statistics can roll back; both must hold to promote.
  const failing = fired.filter(v => v.verdict === 'fail');
  if (failing.length > 0 || decision === 'rollback') {
    const reasons = failing.map(v => v.explanation);
    if (decision === 'rollback') reasons.push(judgeReason);
    step.transition('rollback', 'engine', reasons.join(' '), details);
    return;
  }
  if (decision === 'pause' && !pastMax) {
    // A non-critical regression or a broken traffic split: a human should look.
    applyPolicy(step, 'pause', judgeReason, details);
    return;
  }
  if (!mayEnd) return;

  const outcome = stageOutcome(success);
  if (outcome === 'pass' && decision === 'promote') {
    completeStage(step, details);
  } else if (pastMax && outcome === 'fail') {
    const failed = success.filter(v => v.verdict === 'fail');
    step.transition(
      'rollback',
      'engine',
      `Stage ${r.stageIndex + 1} failed its success criteria: ${failed
        .map(v => v.explanation)
        .join(' ')}`,
      details,
    );
  } else if (pastMax) {
    const open = [
      ...success.filter(v => v.verdict !== 'pass').map(v => v.explanation),
      ...(decision === 'promote' ? [] : [judgeReason]),
    ];
    applyPolicy(
      step,
      settings.inconclusiveAction,
      `Stage ${
        r.stageIndex + 1
      } reached its maximum duration without a passing verdict: ${open.join(
        ' ',
      )}`,
      details,
    );
  }
}

function stageOutcome(
  verdicts: MetricVerdict[],
): 'pass' | 'fail' | 'inconclusive' {
  if (verdicts.some(v => v.verdict === 'fail')) return 'fail';
  if (verdicts.every(v => v.verdict === 'pass')) return 'pass';
  return 'inconclusive';
}

function completeStage(step: Step, details: Record<string, unknown>) {
  const r = step.rollout;
  const passed = `Stage ${r.stageIndex + 1} (${r.weights.canary} %) passed`;
  if (step.isLastStage) {
    step.transition(
      'complete',
      'engine',
      `${passed}: promoting ${r.canaryVersion}`,
      details,
    );
    return;
  }
  const next = r.strategy.stages[r.stageIndex + 1];
  if (next.requireApproval) {
    step.transition(
      'await-approval',
      'engine',
      `${passed}: waiting for approval before ${next.weight} %`,
      details,
    );
  } else {
    step.transition(
      'advance',
      'engine',
      `${passed}: moving to ${next.weight} %`,
      details,
    );
  }
}

function applyPolicy(
  step: Step,
  action: 'pause' | 'rollback',
  reason: string,
  details: Record<string, unknown>,
) {
  if (action === 'rollback') {
    step.transition('rollback', 'engine', `${reason}: rolling back`, details);
  } else if (step.rollout.phase === 'Progressing') {
    step.transition(
      'pause',
      'engine',
      `${reason}: paused for a human`,
      details,
    );
  }
}

/**
 * The engine's core: given a stored rollout, what was observed and the time, return the next
 * rollout, the actions to take and the audit events. No clock, no I/O: every phase transition is
 * testable in milliseconds and replayable. Phase changes go through the table in canary-common
 * (`nextPhase`); a manual action the table forbids throws a ConflictError.
 */
export function decide(
  rollout: RolloutRecord,
  observations: Observations,
  now: Date,
): Decision {
  const step = new Step(rollout, now);
  if (observations.command) {
    applyCommand(step, observations);
  } else if (observations.fatal && !isFinalPhase(rollout.phase)) {
    step.transition('fail', 'engine', observations.fatal, {});
  } else {
    tick(step, observations);
  }
  return step.finish(observations);
}
