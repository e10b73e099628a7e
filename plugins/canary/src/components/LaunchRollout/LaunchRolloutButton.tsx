import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  canaryRolloutLaunchPermission,
  isFinalPhase,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { phaseLabel } from '../PhaseStatus';
import { LaunchDialog } from './LaunchDialog';

/**
 * Opens the launch dialog. Disabled, with the reason, for users who may not launch rollouts of
 * the entity and while a rollout is still active (one at a time per workload).
 */
export const LaunchRolloutButton = ({
  entityRef,
  entityPreset,
  history = [],
  onLaunched,
}: {
  entityRef: string;
  /** The preset the entity's `canary.backstage.io/preset` annotation names. */
  entityPreset?: string;
  /** The entity's rollouts, newest first. */
  history?: Rollout[];
  onLaunched: (rollout: Rollout) => void;
}) => {
  const latest = history[0];
  const [open, setOpen] = useState(false);
  const permission = usePermission({
    permission: canaryRolloutLaunchPermission,
    resourceRef: entityRef,
  });

  let disabledReason: string | undefined;
  if (permission.loading) {
    disabledReason = 'Checking your permissions…';
  } else if (!permission.allowed) {
    disabledReason = 'You are not allowed to launch rollouts of this entity.';
  } else if (latest && !isFinalPhase(latest.phase)) {
    disabledReason = `The rollout of ${latest.canaryVersion} is ${phaseLabel(
      latest.phase,
    ).toLocaleLowerCase('en')}; one rollout runs at a time.`;
  }

  return (
    <>
      <Tooltip title={disabledReason ?? 'Roll out a new version as a canary'}>
        <span>
          <Button
            variant="contained"
            color="primary"
            disabled={disabledReason !== undefined}
            onClick={() => setOpen(true)}
          >
            Launch rollout
          </Button>
        </span>
      </Tooltip>
      {open && (
        <LaunchDialog
          entityRef={entityRef}
          entityPreset={entityPreset}
          history={history}
          stableVersionHint={
            latest?.phase === 'Succeeded'
              ? latest.canaryVersion
              : latest?.stableVersion
          }
          onLaunched={rollout => {
            setOpen(false);
            onLaunched(rollout);
          }}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
};
