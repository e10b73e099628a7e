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
 * A button for each of the given actions on a rollout; a disabled one says why in its tooltip,
 * an enabled one what it does. `inList` makes them small and names each after its rollout, as
 * a list of rollouts shows many of them.
 */
export const ActionButtons = ({
  rollout,
  actions,
  offered,
  inList = false,
}: {
  rollout: Rollout;
  actions: RolloutActions;
  offered: readonly RolloutAction[];
  inList?: boolean;
}) => {
  const blocker = useActionBlocker(rollout, actions.running);
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: inList ? 4 : 8 }}>
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
                size={inList ? 'small' : 'medium'}
                variant="outlined"
                color={presentation.destructive ? 'secondary' : 'primary'}
                disabled={reason !== undefined}
                style={{ whiteSpace: 'nowrap' }}
                aria-label={
                  inList
                    ? `${presentation.label} ${rollout.target.name} ${rollout.canaryVersion}`
                    : undefined
                }
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
