import { useState, type ReactNode } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  canaryRolloutControlPermission,
  type Rollout,
  type RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { errorMessage } from '../../utils/errors';
import { phaseLabel } from '../PhaseStatus';
import { ACTIONS } from './actions';
import { ActionDialog } from './ActionDialog';

/** Requests manual actions and shows their confirmation dialog. */
export interface RolloutActions {
  /** Runs the action, or first asks for confirmation (and a reason) when the action needs it. */
  request: (rollout: Rollout, action: RolloutAction) => void;
  running: boolean;
  /** Why the last action failed, unless its dialog shows it. */
  error?: string;
  clearError: () => void;
  /** The confirmation dialog, when one is open: render it anywhere. */
  dialog: ReactNode;
}

/**
 * Runs manual actions on rollouts and reports the updated rollout to `onChanged`. Owning the
 * dialog here, apart from the buttons, lets a table keep it open while its rows refresh.
 */
export function useRolloutActions(
  onChanged: (rollout: Rollout) => void,
): RolloutActions {
  const canaryApi = useApi(canaryApiRef);
  const [confirming, setConfirming] = useState<{
    rollout: Rollout;
    action: RolloutAction;
  }>();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (
    rollout: Rollout,
    action: RolloutAction,
    reason?: string,
  ) => {
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

  return {
    request: (rollout, action) => {
      setError(undefined);
      if (ACTIONS[action].confirm) {
        setConfirming({ rollout, action });
      } else {
        run(rollout, action);
      }
    },
    running,
    error: confirming ? undefined : error,
    clearError: () => setError(undefined),
    dialog: confirming && (
      <ActionDialog
        rollout={confirming.rollout}
        action={confirming.action}
        running={running}
        error={error}
        onConfirm={reason => run(confirming.rollout, confirming.action, reason)}
        onCancel={() => {
          setConfirming(undefined);
          setError(undefined);
        }}
      />
    ),
  };
}

/**
 * Why the user cannot request an action on the rollout now (no permission on its entity, a
 * phase that forbids it, another action running), or undefined when they can.
 */
export function useActionBlocker(
  rollout: Rollout,
  running: boolean,
): (action: RolloutAction) => string | undefined {
  const permission = usePermission({
    permission: canaryRolloutControlPermission,
    resourceRef: rollout.entityRef,
  });
  return action => {
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
}
