import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import type {
  Rollout,
  RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';
import { ACTIONS } from './actions';
import { useActionBlocker, type RolloutActions } from './useRolloutActions';

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
}) => {
  const blocker = useActionBlocker(rollout, actions.running);
  const offered = ROW_ACTIONS.filter(a => rollout.allowedActions.includes(a));
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
      {offered.map(action => {
        const presentation = ACTIONS[action];
        const reason = blocker(action);
        return (
          <Tooltip
            key={action}
            title={reason ?? presentation.description(rollout)}
          >
            <span>
              <Button
                size="small"
                variant="outlined"
                color={presentation.destructive ? 'secondary' : 'primary'}
                disabled={reason !== undefined}
                aria-label={`${presentation.label} ${rollout.target.name} ${rollout.canaryVersion}`}
                onClick={() => actions.request(rollout, action)}
              >
                {presentation.label}
              </Button>
            </span>
          </Tooltip>
        );
      })}
    </Box>
  );
};
