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

/** Phases in which failing verdicts explain where the rollout is. */
const JUDGED_PHASES: Phase[] = ['Paused', 'RollingBack', 'RolledBack'];

/**
 * The engine's latest decision and its reason, coloured by how the rollout is doing. After the
 * engine rolled back or paused, the failing verdicts of the deciding look say why.
 */
export const RolloutMessage = ({ rollout }: { rollout: Rollout }) => {
  const failing =
    JUDGED_PHASES.includes(rollout.phase) &&
    rollout.rollbackEndPhase !== 'Aborted'
      ? rollout.analysis.latestVerdicts.filter(v => v.verdict === 'fail')
      : [];
  return (
    <Alert severity={SEVERITY[rollout.phase] ?? 'info'}>
      <AlertTitle>{phaseLabel(rollout.phase)}</AlertTitle>
      {rollout.message}
      {failing.length > 0 && (
        <ul style={{ margin: '4px 0 0', paddingLeft: 20 }}>
          {failing.map((verdict, i) => (
            <li key={i}>
              <strong>{verdict.metric}</strong> ({verdict.rule}):{' '}
              {verdict.explanation}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
};
