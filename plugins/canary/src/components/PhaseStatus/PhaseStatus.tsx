import type { ComponentType, ReactNode } from 'react';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import type { Phase } from '@canary-release/backstage-plugin-canary-common';

const PHASE_PRESENTATION: Record<
  Phase,
  { label: string; Status: ComponentType<{ children?: ReactNode }> }
> = {
  Pending: { label: 'Pending', Status: StatusPending },
  Progressing: { label: 'Progressing', Status: StatusRunning },
  Paused: { label: 'Paused', Status: StatusPending },
  AwaitingApproval: { label: 'Awaiting approval', Status: StatusWarning },
  Promoting: { label: 'Promoting', Status: StatusRunning },
  Succeeded: { label: 'Succeeded', Status: StatusOK },
  RollingBack: { label: 'Rolling back', Status: StatusError },
  RolledBack: { label: 'Rolled back', Status: StatusError },
  Aborted: { label: 'Aborted', Status: StatusAborted },
  Failed: { label: 'Failed', Status: StatusError },
};

/** The phase in words, e.g. `Awaiting approval`. */
export function phaseLabel(phase: Phase): string {
  return PHASE_PRESENTATION[phase]?.label ?? phase;
}

/** A rollout phase as a coloured status. */
export const PhaseStatus = ({ phase }: { phase: Phase }) => {
  const { Status } = PHASE_PRESENTATION[phase] ?? {
    Status: StatusPending,
  };
  return <Status>{phaseLabel(phase)}</Status>;
};
