import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import Alert from '@material-ui/lab/Alert';
import { InfoCard } from '@backstage/core-components';
import {
  ROLLOUT_ACTIONS,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { ACTIONS } from './actions';
import { useActionBlocker, useRolloutActions } from './useRolloutActions';

/**
 * The manual actions on a rollout. An action is enabled only when the rollout's phase allows it
 * and the permission framework lets the user control this entity's rollouts; a disabled button
 * says why in its tooltip.
 */
export const RolloutControls = ({
  rollout,
  onChanged,
}: {
  rollout: Rollout;
  onChanged: (rollout: Rollout) => void;
}) => {
  const actions = useRolloutActions(onChanged);
  const blocker = useActionBlocker(rollout, actions.running);

  return (
    <InfoCard title="Controls">
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
        {ROLLOUT_ACTIONS.map(action => {
          const presentation = ACTIONS[action];
          const reason = blocker(action);
          return (
            <Tooltip
              key={action}
              title={reason ?? presentation.description(rollout)}
            >
              <span>
                <Button
                  variant="outlined"
                  color={presentation.destructive ? 'secondary' : 'primary'}
                  disabled={reason !== undefined}
                  onClick={() => actions.request(rollout, action)}
                >
                  {presentation.label}
                </Button>
              </span>
            </Tooltip>
          );
        })}
      </Box>
      {actions.error && (
        <Alert
          severity="error"
          onClose={actions.clearError}
          style={{ marginTop: 16 }}
        >
          {actions.error}
        </Alert>
      )}
      {actions.dialog}
    </InfoCard>
  );
};
