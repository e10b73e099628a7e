import type {
  Rollout,
  RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';
import { ActionButtons } from './ActionButtons';
import type { RolloutActions } from './useRolloutActions';

/**
 * The actions a list of rollouts offers. Promotions are left to the entity's tab, where the
 * verdicts that justify them are in view.
 */
const ROW_ACTIONS: RolloutAction[] = [
  'approve',
  'pause',
  'resume',
  'abort',
  'retry',
];

/** Small buttons for the row actions the rollout's phase allows; disabled ones say why. */
export const RolloutRowActions = ({
  rollout,
  actions,
}: {
  rollout: Rollout;
  actions: RolloutActions;
}) => (
  <ActionButtons
    rollout={rollout}
    actions={actions}
    offered={ROW_ACTIONS.filter(a => rollout.allowedActions.includes(a))}
    inList
  />
);
