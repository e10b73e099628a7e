import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import type {
  Phase,
  Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { phaseLabel } from '../PhaseStatus';

type Severity = 'success' | 'info' | 'warning' | 'error';

const SEVERITY: Record<Phase, Severity> = {
  Pending: 'info',
  Progressing: 'info',
  Paused: 'warning',
  AwaitingApproval: 'warning',
  Promoting: 'info',
  Succeeded: 'success',
  RollingBack: 'error',
  RolledBack: 'error',
  Aborted: 'warning',
  Failed: 'error',
};

/** The engine's latest decision and its reason, coloured by how the rollout is doing. */
export const RolloutMessage = ({ rollout }: { rollout: Rollout }) => (
  <Alert severity={SEVERITY[rollout.phase] ?? 'info'}>
    <AlertTitle>{phaseLabel(rollout.phase)}</AlertTitle>
    {rollout.message}
  </Alert>
);
