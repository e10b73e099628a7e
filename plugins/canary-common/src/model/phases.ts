/**
 * Rollout phases, the manual actions a user can take, and the transition table that says which
 * event moves a rollout from one phase to the next. The engine and the UI both read this table, so
 * an action the UI offers is exactly an action the engine accepts.
 */

/** @public */
export const PHASES = [
  'Pending',
  'Progressing',
  'Paused',
  'AwaitingApproval',
  'Promoting',
  'Succeeded',
  'RollingBack',
  'RolledBack',
  'Aborted',
  'Failed',
] as const;

/** @public */
export type Phase = (typeof PHASES)[number];

/** Phases after which nothing happens without a `retry`. @public */
export const FINAL_PHASES: readonly Phase[] = [
  'Succeeded',
  'RolledBack',
  'Aborted',
  'Failed',
];

/** @public */
export function isFinalPhase(phase: Phase): boolean {
  return FINAL_PHASES.includes(phase);
}

/** Actions a user (or the Scaffolder, or a CI pipeline) can request. @public */
export const ROLLOUT_ACTIONS = [
  'pause',
  'resume',
  'promote',
  'promote-full',
  'approve',
  'abort',
  'retry',
] as const;

/** @public */
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/**
 * Everything that can move a rollout between phases. Manual actions map onto these; the engine
 * raises the others from what it observes.
 *
 * @public
 */
export type RolloutEvent =
  | 'start' // the first tick shifts traffic to the first stage
  | 'advance' // the current stage passed (or a user promoted): enter the next stage
  | 'await-approval' // the next stage has an approval gate
  | 'complete' // the last stage passed (or promote-full): promote the canary
  | 'promoted' // the workloads and router confirm the promotion
  | 'pause'
  | 'resume'
  | 'rollback' // the analysis found a regression, or a policy says so
  | 'abort' // a user aborted: roll back, end as Aborted
  | 'rolled-back' // the router confirms all traffic is on stable again
  | 'retry' // start a finished rollout again from its first stage
  | 'fail'; // an unrecoverable error (the target is gone, the config is broken)

/**
 * The transition table: phase x event -> next phase. An event missing from a phase's row is not
 * allowed in that phase.
 *
 * @public
 */
export const TRANSITIONS: Readonly<
  Record<Phase, Readonly<Partial<Record<RolloutEvent, Phase>>>>
> = {
  Pending: { start: 'Progressing', abort: 'Aborted', fail: 'Failed' },
  Progressing: {
    advance: 'Progressing',
    'await-approval': 'AwaitingApproval',
    complete: 'Promoting',
    pause: 'Paused',
    rollback: 'RollingBack',
    abort: 'RollingBack',
    fail: 'Failed',
  },
  Paused: {
    resume: 'Progressing',
    advance: 'Progressing',
    complete: 'Promoting',
    rollback: 'RollingBack',
    abort: 'RollingBack',
    fail: 'Failed',
  },
  AwaitingApproval: {
    advance: 'Progressing',
    complete: 'Promoting',
    abort: 'RollingBack',
    fail: 'Failed',
  },
  Promoting: { promoted: 'Succeeded', fail: 'Failed' },
  Succeeded: {},
  RollingBack: { 'rolled-back': 'RolledBack', fail: 'Failed' },
  RolledBack: { retry: 'Pending' },
  Aborted: { retry: 'Pending' },
  Failed: { retry: 'Pending', abort: 'RollingBack' },
};

/**
 * Which event each manual action raises, given the phase. `promote` enters the next stage (skipping
 * its approval gate: the user promoting is approving), or completes the rollout from the last
 * stage; `approve` is only meaningful at a gate.
 *
 * @public
 */
export function eventForAction(
  action: RolloutAction,
  phase: Phase,
  isLastStage: boolean,
): RolloutEvent | undefined {
  switch (action) {
    case 'pause':
      return 'pause';
    case 'resume':
      return 'resume';
    case 'promote':
      return isLastStage ? 'complete' : 'advance';
    case 'promote-full':
      return 'complete';
    case 'approve':
      if (phase !== 'AwaitingApproval') return undefined;
      return isLastStage ? 'complete' : 'advance';
    case 'abort':
      return 'abort';
    case 'retry':
      return 'retry';
    default:
      return undefined;
  }
}

/** The phase an event leads to from `phase`, or undefined when the table forbids it. @public */
export function nextPhase(
  phase: Phase,
  event: RolloutEvent,
): Phase | undefined {
  return TRANSITIONS[phase][event];
}

/** The manual actions that `phase` allows. @public */
export function allowedActions(
  phase: Phase,
  isLastStage: boolean,
): RolloutAction[] {
  return ROLLOUT_ACTIONS.filter(action => {
    const event = eventForAction(action, phase, isLastStage);
    return event !== undefined && nextPhase(phase, event) !== undefined;
  });
}
