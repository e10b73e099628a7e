import { ConflictError } from '@backstage/errors';
import {
  Phase,
  RolloutEvent,
  addArmSamples,
  emptyArmSample,
  eventForAction,
  isFinalPhase,
  nextPhase,
  faultTitle,
} from '@canary-release/backstage-plugin-canary-common';
import {
  ProviderOutcome,
  Refusal,
  describeFaults,
  updateFaults,
} from './faults';
import { ALL_STABLE, reconcile, stageWeights } from './reconcile';
import { judgeStage } from './statistics';
import type {
  AuditEventDraft,
  Decision,
  GateAnswer,
  GateRequest,
  GateType,
  HookOutcome,
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
  gate?: GateRequest;
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
    if (this.gate) {
      return {
        rollout: this.rollout,
        actions: [],
        events: [],
        changed: false,
        gate: this.gate,
      };
    }
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
  // Any transition moves the rollout past a gate it waited at.
  const patch: Partial<RolloutRecord> = {
    phase: to,
    message: reason,
    promotionGate: undefined,
  };
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
  if (isFinalPhase(patch.phase ?? to)) {
    patch.finishedAt = step.nowIso;
    patch.faults = undefined; // the rollout no longer uses its providers
  }
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
    case 'Pending': {
      const reason = `Starting: ${r.strategy.stages[0].weight} % of traffic to ${r.canaryVersion}`;
      if (passGate(step, 'pre-rollout', reason, observations.gate)) {
        step.transition('start', 'engine', reason, {});
      }
      return;
    }
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
            actualError: unreadableError(observations),
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
        {
          actual: observations.actual,
          actualError: unreadableError(observations),
        },
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
  if (observations.look) takeLook(step, observations.look, observations.gate);
}

/**
 * A look at the metrics. The judge of canary-common takes the decision, with every reason, from
 * the stage's cumulative counts; the engine only maps it to an event. A regression rolls back in
 * any judged phase (also while paused or waiting for approval); a stage is promoted, or the
 * inconclusive policy applied, only while it progresses.
 */
function takeLook(step: Step, look: Look, gate: GateAnswer | undefined) {
  const r = step.rollout;
  const settings = r.strategy.analysis;
  const readable = !look.error && look.baseline && look.canary;
  // A look with too few canary requests (a canary that is restarting, a quiet minute) adds
  // nothing to the stage: the judge counts it as a look without data.
  const counted =
    readable && look.canary!.requests >= settings.minRequestsPerLook;
  const stageTotals = counted
    ? {
        baseline: addArmSamples(
          r.analysis.stageTotals.baseline,
          look.baseline!,
        ),
        canary: addArmSamples(r.analysis.stageTotals.canary, look.canary!),
      }
    : r.analysis.stageTotals;
  const elapsed = step.now.getTime() - Date.parse(r.stageStartedAt!);
  const stage = r.strategy.stages[r.stageIndex];
  const judging = r.phase === 'Progressing';
  const judged = judgeStage(r, stageTotals, {
    minDurationReached: judging && elapsed >= stage.minDurationMs,
    maxDurationReached: judging && elapsed >= stage.maxDurationMs,
    error: readable ? undefined : unreadableLook(look, r.target.metrics),
  });
  const { decision, reason } = judged;
  const verdicts = look.error
    ? judged.verdicts.map(v =>
        v.verdict === 'error' ? { ...v, detail: look.error } : v,
      )
    : judged.verdicts;
  step.lookRecord = { look, stageIndex: r.stageIndex, verdicts };
  step.update({
    analysis: {
      lastLookAt: step.nowIso,
      nextLookAt: new Date(
        step.now.getTime() + settings.intervalMs,
      ).toISOString(),
      consecutiveNoData: judged.state?.consecutiveNoData ?? 0,
      stageTotals,
      latestVerdicts: verdicts,
      judgeState: judged.state ?? r.analysis.judgeState,
    },
  });
  const details = { verdicts, look, stageTotals, decision };
  switch (decision) {
    case 'rollback':
      step.transition('rollback', 'engine', capitalize(reason), details);
      return;
    case 'pause':
      if (judging) {
        step.transition('pause', 'engine', capitalize(reason), details);
      }
      return;
    case 'promote':
      if (judging) completeStage(step, details, gate);
      return;
    default:
      return;
  }
}

function completeStage(
  step: Step,
  details: Record<string, unknown>,
  gate: GateAnswer | undefined,
) {
  const [event, reason] = stageExit(step);
  if (passGate(step, 'confirm-promotion', reason, gate)) {
    step.transition(event, 'engine', reason, details);
  }
}

/** Where a passed stage leads, and why. */
function stageExit(step: Step): [RolloutEvent, string] {
  const r = step.rollout;
  const passed = `Stage ${r.stageIndex + 1} (${r.weights.canary} %) passed`;
  if (step.isLastStage) {
    return ['complete', `${passed}: promoting ${r.canaryVersion}`];
  }
  const next = r.strategy.stages[r.stageIndex + 1];
  if (next.requireApproval) {
    return [
      'await-approval',
      `${passed}: waiting for approval before ${next.weight} %`,
    ];
  }
  return ['advance', `${passed}: moving to ${next.weight} %`];
}

/**
 * Whether the webhooks of a gate let the rollout go on. Without their answers it asks for them
 * (the service calls them and decides again). A refusal fails a rollout that has not started, and
 * holds a passed stage, recorded when the refusing webhooks change, until they confirm.
 */
function passGate(
  step: Step,
  type: GateType,
  reason: string,
  answer: GateAnswer | undefined,
): boolean {
  const r = step.rollout;
  const hooks = (r.strategy.webhooks ?? []).filter(hook => hook.type === type);
  if (hooks.length === 0) return true;
  if (answer?.type !== type) {
    step.gate = { type, hooks, reason };
    return false;
  }
  const details = { gate: type, results: answer.results };
  const refused = answer.results.filter(result => !result.ok);
  if (refused.length === 0) {
    step.note(
      'gate-confirmed',
      `${capitalize(type)} webhooks confirmed: ${answer.results
        .map(result => `"${result.name}"`)
        .join(', ')}`,
      details,
    );
    return true;
  }
  const why = refused.map(describeOutcome).join('; ');
  if (type === 'pre-rollout') {
    step.transition(
      'fail',
      'engine',
      `Pre-rollout webhook ${why}: no traffic was moved`,
      details,
    );
    return false;
  }
  const message = `${reason}; waiting for confirm-promotion webhook ${why}`;
  const refusedBy = refused.map(result => result.name);
  const waiting =
    r.promotionGate?.stageIndex === r.stageIndex ? r.promotionGate : undefined;
  if (waiting?.refusedBy.join() !== refusedBy.join()) {
    step.note('gate-refused', message, details);
  }
  step.update({
    message,
    promotionGate: {
      stageIndex: r.stageIndex,
      refusedSince: waiting?.refusedSince ?? step.nowIso,
      refusedBy,
    },
  });
  return false;
}

/**
 * Why a look has no metrics, in words every reader may see: the provider's own error, which can
 * name internal addresses and queries, is in the rollout's faults.
 */
function unreadableLook(look: Look, metricsKind: string): string {
  if (look.error) return `the metrics provider (${metricsKind}) failed`;
  return 'the metrics provider returned no samples';
}

function describeOutcome(outcome: HookOutcome): string {
  const attempts = `${outcome.attempts} attempt${
    outcome.attempts === 1 ? '' : 's'
  }`;
  return `"${outcome.name}" (${outcome.error ?? 'failed'} after ${attempts})`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
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
  trackFaults(step, 'read', readOutcome(observations));
  if (observations.command) {
    applyCommand(step, observations);
  } else {
    tick(step, observations);
  }
  return step.finish(observations);
}

/** Why the world could not be read, for the audit details; undefined when it was. */
function unreadableError(observations: Observations): string | undefined {
  const errors = Object.values(observations.unreadable ?? {});
  return errors.length > 0 ? errors.join('; ') : undefined;
}

/** What reading the world and the metrics showed of each provider. */
function readOutcome(observations: Observations): ProviderOutcome {
  const outcome: ProviderOutcome = {};
  if (observations.look) outcome.metrics = observations.look.error ?? null;
  if (observations.actual) {
    outcome.router = null;
    outcome.workload = null;
  } else if (observations.unreadable) {
    outcome.router = observations.unreadable.router ?? null;
    outcome.workload = observations.unreadable.workload ?? null;
  }
  return outcome;
}

/**
 * Records the provider faults that start or end, one audit event each (not one per tick), and
 * says in the message what fails while it lasts, unless something else has been said since.
 */
function trackFaults(
  step: Step,
  operation: 'read' | 'write',
  outcome: ProviderOutcome,
) {
  const r = step.rollout;
  if (isFinalPhase(r.phase)) return;
  const before = r.faults ?? [];
  const { open, started, ended } = updateFaults(
    before,
    operation,
    outcome,
    r.target,
    step.nowIso,
  );
  if (started.length === 0 && ended.length === 0) return;
  for (const fault of started) {
    // The error itself goes in the details, which readers without control permission do not see.
    step.note('provider-fault', `${faultTitle(fault)} fails`, { ...fault });
  }
  const recovered = ended.map(fault => {
    const durationMs = step.now.getTime() - Date.parse(fault.since);
    const reason = `${faultTitle(fault)} works again after ${formatMs(
      durationMs,
    )}`;
    step.note('provider-recovered', reason, { ...fault, durationMs });
    return reason;
  });
  const ours = started.length > 0 || r.message === describeFaults(before);
  step.update({
    faults: open.length > 0 ? open : undefined,
    ...(ours && {
      message: open.length > 0 ? describeFaults(open) : recovered.join('; '),
    }),
  });
}

/**
 * Records how the actions of a decision went, as `decide` records reads: a provider that fails to
 * act is a fault until its actions succeed or are no longer needed. A provider that refuses to act
 * (`refusal`) fails the rollout: a rule forbids the change, so retrying it every tick would never
 * succeed, and the engine changes nothing more (the traffic stays where it is). Pure, like
 * `decide`.
 */
export function recordActionOutcome(
  rollout: RolloutRecord,
  outcome: ProviderOutcome,
  now: Date,
  refusal?: Refusal,
): Decision {
  const step = new Step(rollout, now);
  if (refusal && !isFinalPhase(rollout.phase)) {
    const title = faultTitle({
      provider: refusal.provider,
      operation: 'write',
      kind: rollout.target[refusal.provider],
      since: step.nowIso,
    });
    step.transition(
      'fail',
      'engine',
      `${title} was refused: ${refusal.error}. The engine changes nothing more; the traffic stays where it is`,
      { refusal },
    );
  } else {
    trackFaults(step, 'write', outcome);
  }
  const changed = step.events.length > 0;
  return {
    rollout: changed ? { ...step.rollout, updatedAt: step.nowIso } : rollout,
    actions: [],
    events: step.events,
    changed,
  };
}
