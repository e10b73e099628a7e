import Alert from '@material-ui/lab/Alert';
import { InfoCard } from '@backstage/core-components';
import {
  ROLLOUT_ACTIONS,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { ActionButtons } from './ActionButtons';
import { useRolloutActions } from './useRolloutActions';

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

  return (
    <InfoCard title="Controls">
      <ActionButtons
        rollout={rollout}
        actions={actions}
        offered={ROLLOUT_ACTIONS}
      />
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
