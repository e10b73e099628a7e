import type {
  Rollout,
  RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';

/** How a manual action is offered: its button, and the confirmation it needs, if any. */
export interface ActionPresentation {
  label: string;
  /** What the action does, shown as the button's tooltip and in its confirmation. */
  description: (rollout: Rollout) => string;
  /** Asks for confirmation (and a reason) first; pause and resume are one click. */
  confirm: boolean;
  reasonRequired?: boolean;
  destructive?: boolean;
}

function nextStageWeight(rollout: Rollout): number | undefined {
  return rollout.strategy.stages[rollout.stageIndex + 1]?.weight;
}

/** Every manual action, in the order the buttons appear. */
export const ACTIONS: Record<RolloutAction, ActionPresentation> = {
  pause: {
    label: 'Pause',
    description: () =>
      'Hold the traffic split where it is; the analysis keeps watching for regressions.',
    confirm: false,
  },
  resume: {
    label: 'Resume',
    description: () => 'Continue the rollout from where it was paused.',
    confirm: false,
  },
  promote: {
    label: 'Promote',
    description: rollout => {
      const weight = nextStageWeight(rollout);
      return weight === undefined
        ? 'End the last stage now and promote the canary to all traffic.'
        : `Skip the rest of this stage and send ${weight} % of traffic to the canary now.`;
    },
    confirm: true,
  },
  'promote-full': {
    label: 'Promote fully',
    description: () =>
      'Skip every remaining stage and promote the canary to all traffic now.',
    confirm: true,
    destructive: true,
  },
  approve: {
    label: 'Approve',
    description: rollout => {
      const weight = nextStageWeight(rollout);
      return weight === undefined
        ? 'Approve the promotion of the canary to all traffic.'
        : `Approve the next stage: ${weight} % of traffic to the canary.`;
    },
    confirm: true,
  },
  abort: {
    label: 'Abort',
    description: () =>
      'Roll back: send all traffic to the stable version and end the rollout as aborted.',
    confirm: true,
    reasonRequired: true,
    destructive: true,
  },
  retry: {
    label: 'Retry',
    description: () => 'Start this rollout again from its first stage.',
    confirm: true,
  },
};
