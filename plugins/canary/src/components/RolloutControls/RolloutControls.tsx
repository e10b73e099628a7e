import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import Alert from '@material-ui/lab/Alert';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  canaryRolloutControlPermission,
  ROLLOUT_ACTIONS,
  type Rollout,
  type RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { errorMessage } from '../../utils/errors';
import { phaseLabel } from '../PhaseStatus';
import { ACTIONS } from './actions';
import { ActionDialog } from './ActionDialog';

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
  const canaryApi = useApi(canaryApiRef);
  const permission = usePermission({
    permission: canaryRolloutControlPermission,
    resourceRef: rollout.entityRef,
  });
  const [confirming, setConfirming] = useState<RolloutAction>();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (action: RolloutAction, reason?: string) => {
    setRunning(true);
    setError(undefined);
    try {
      const updated = await canaryApi.performAction(
        rollout.id,
        action,
        reason || undefined,
      );
      setConfirming(undefined);
      onChanged(updated);
    } catch (e) {
      setError(errorMessage(e as Error));
    } finally {
      setRunning(false);
    }
  };

  const disabledReason = (action: RolloutAction): string | undefined => {
    if (permission.loading) return 'Checking your permissions…';
    if (!permission.allowed) {
      return 'You are not allowed to control the rollouts of this entity.';
    }
    if (!rollout.allowedActions.includes(action)) {
      return `Not possible while the rollout is ${phaseLabel(
        rollout.phase,
      ).toLocaleLowerCase('en')}.`;
    }
    if (running) return 'Another action is running.';
    return undefined;
  };

  return (
    <InfoCard title="Controls">
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
        {ROLLOUT_ACTIONS.map(action => {
          const presentation = ACTIONS[action];
          const reason = disabledReason(action);
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
                  onClick={() => {
                    setError(undefined);
                    if (presentation.confirm) {
                      setConfirming(action);
                    } else {
                      run(action);
                    }
                  }}
                >
                  {presentation.label}
                </Button>
              </span>
            </Tooltip>
          );
        })}
      </Box>
      {error && !confirming && (
        <Alert
          severity="error"
          onClose={() => setError(undefined)}
          style={{ marginTop: 16 }}
        >
          {error}
        </Alert>
      )}
      {confirming && (
        <ActionDialog
          rollout={rollout}
          action={confirming}
          running={running}
          error={error}
          onConfirm={reason => run(confirming, reason)}
          onCancel={() => {
            setConfirming(undefined);
            setError(undefined);
          }}
        />
      )}
    </InfoCard>
  );
};
