import { usePermission } from '@backstage/plugin-permission-react';
import {
  canaryRolloutLaunchPermission,
  isFinalPhase,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { phaseLabel } from '../PhaseStatus';

/**
 * Why the user cannot launch a rollout of the entity now (no permission, or its latest rollout
 * still active: one at a time per workload), or undefined when they can.
 */
export function useLaunchBlocker(
  entityRef: string,
  latest?: Rollout,
): string | undefined {
  const permission = usePermission({
    permission: canaryRolloutLaunchPermission,
    resourceRef: entityRef,
  });
  if (permission.loading) {
    return 'Checking your permissions…';
  }
  if (!permission.allowed) {
    return 'You are not allowed to launch rollouts of this entity.';
  }
  if (latest && !isFinalPhase(latest.phase)) {
    return `The rollout of ${latest.canaryVersion} is ${phaseLabel(
      latest.phase,
    ).toLocaleLowerCase('en')}; one rollout runs at a time.`;
  }
  return undefined;
}

/** The version serving today, judging by the entity's latest rollout. */
export function servingVersion(latest?: Rollout): string | undefined {
  return latest?.phase === 'Succeeded'
    ? latest.canaryVersion
    : latest?.stableVersion;
}
