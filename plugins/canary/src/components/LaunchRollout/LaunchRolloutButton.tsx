import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import type { Rollout } from '@canary-release/backstage-plugin-canary-common';
import { LaunchDialog } from './LaunchDialog';
import { servingVersion, useLaunchBlocker } from './useLaunchBlocker';

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
  const disabledReason = useLaunchBlocker(entityRef, latest);

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
          stableVersionHint={servingVersion(latest)}
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
