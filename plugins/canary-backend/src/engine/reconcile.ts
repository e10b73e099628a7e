import type { Weights } from '@canary-release/backstage-plugin-canary-common';
import type { Action, ActualState, RolloutRecord } from './types';

/**
 * The world a rollout's phase asks for, and the next idempotent steps towards it. Storing only the
 * phase and deriving the steps from what the router and workload report makes the engine safe to
 * stop at any moment: after a restart the same steps are derived again, and steps already done are
 * simply not needed any more.
 */

const ALL_STABLE: Weights = { stable: 100, canary: 0 };

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.stable === b.stable && a.canary === b.canary;
}

export function stageWeights(canary: number): Weights {
  return { stable: 100 - canary, canary };
}

/** The result of comparing the world with what the phase wants. */
export interface ReconcilePlan {
  actions: Action[];
  /** The world is as the phase wants it. */
  converged: boolean;
  /** What the engine waits for, in words, when not converged. */
  waitingFor?: string;
  /** The canary weight the actions size the canary for, to remember in the rollout. */
  canarySizedFor?: number;
}

/** The steps to take now, in order, given what the world looks like. */
export function reconcile(
  rollout: RolloutRecord,
  actual: ActualState | undefined,
): ReconcilePlan {
  switch (rollout.phase) {
    case 'Progressing':
    case 'Paused':
    case 'AwaitingApproval':
      return reconcileStage(rollout, actual);
    case 'Promoting':
      return reconcilePromotion(rollout, actual);
    case 'RollingBack':
      return reconcileRollback(actual);
    default:
      return { actions: [], converged: true };
  }
}

function reconcileStage(
  rollout: RolloutRecord,
  actual: ActualState | undefined,
): ReconcilePlan {
  const weight = rollout.weights.canary;
  const deploy: Action = {
    type: 'deployCanary',
    version: rollout.canaryVersion,
    weight,
    ...(rollout.strategy.dedicatedBaseline && {
      baselineVersion: rollout.stableVersion,
    }),
  };
  // Every deploy sizes the canary for the stage's weight; the rollout remembers the weight it
  // last sized for, so that traffic moves only on a later tick, once the resized canary is ready.
  const sized = { canarySizedFor: weight };
  if (!actual) return { actions: [deploy], converged: false, ...sized };
  const canary = actual.workload.canary;
  if (!canary || canary.version !== rollout.canaryVersion) {
    return {
      actions: [deploy],
      converged: false,
      waitingFor: `canary ${rollout.canaryVersion} to be deployed`,
      ...sized,
    };
  }
  if (sameWeights(actual.weights, rollout.weights)) {
    return { actions: [], converged: true };
  }
  if (rollout.canarySizedFor !== weight) {
    return {
      actions: [deploy],
      converged: false,
      waitingFor: `the canary to be sized for ${weight} %`,
      ...sized,
    };
  }
  if (!canary.ready) {
    return {
      actions: [],
      converged: false,
      waitingFor: `canary ${rollout.canaryVersion} to become ready`,
    };
  }
  // Deploying again is a no-op for a canary already sized, and repairs one whose resize failed.
  return {
    actions: [deploy, { type: 'setWeights', weights: rollout.weights }],
    converged: false,
    waitingFor: `traffic to shift to ${weight} %`,
  };
}

function reconcilePromotion(
  rollout: RolloutRecord,
  actual: ActualState | undefined,
): ReconcilePlan {
  const version = rollout.canaryVersion;
  if (!actual) {
    return {
      actions: [{ type: 'setStableVersion', version }],
      converged: false,
    };
  }
  if (actual.workload.stable.version !== version) {
    return {
      actions: [{ type: 'setStableVersion', version }],
      converged: false,
      waitingFor: `stable to run ${version}`,
    };
  }
  if (!actual.workload.stable.ready) {
    return {
      actions: [],
      converged: false,
      waitingFor: `stable ${version} to become ready`,
    };
  }
  return finishOnStable(actual);
}

function reconcileRollback(actual: ActualState | undefined): ReconcilePlan {
  // Without knowing the world, moving all traffic to stable is still the safe thing to do.
  if (!actual) {
    return {
      actions: [{ type: 'setWeights', weights: ALL_STABLE }],
      converged: false,
    };
  }
  return finishOnStable(actual);
}

/** All traffic on stable, then the canary removed. */
function finishOnStable(actual: ActualState): ReconcilePlan {
  if (!sameWeights(actual.weights, ALL_STABLE)) {
    return {
      actions: [{ type: 'setWeights', weights: ALL_STABLE }],
      converged: false,
      waitingFor: 'all traffic to return to stable',
    };
  }
  if (actual.workload.canary) {
    return {
      actions: [{ type: 'removeCanary' }],
      converged: false,
      waitingFor: 'the canary to be removed',
    };
  }
  return { actions: [], converged: true };
}

export { ALL_STABLE };
