import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Step from '@material-ui/core/Step';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import LockIcon from '@material-ui/icons/Lock';
import { InfoCard } from '@backstage/core-components';
import type {
  Rollout,
  RolloutAnalysis,
  Stage,
} from '@canary-release/backstage-plugin-canary-common';
import { useNow } from '../../hooks/useNow';
import { formatDuration } from '../../utils/format';
import { VerdictStatus, summarizeVerdicts } from '../VerdictStatus';

type StageState = 'done' | 'current' | 'failed' | 'upcoming';

const ROLLED_BACK_PHASES = ['RollingBack', 'RolledBack', 'Aborted', 'Failed'];

function stageState(rollout: Rollout, index: number): StageState {
  if (rollout.phase === 'Succeeded' || rollout.phase === 'Promoting') {
    return 'done';
  }
  if (index < rollout.stageIndex) return 'done';
  if (index > rollout.stageIndex) return 'upcoming';
  return ROLLED_BACK_PHASES.includes(rollout.phase) ? 'failed' : 'current';
}

/** The last look's verdicts of each stage that has been judged. */
function lastVerdictsByStage(analysis?: RolloutAnalysis) {
  const byStage = new Map<number, RolloutAnalysis['verdicts'][number]>();
  for (const look of analysis?.verdicts ?? []) {
    const previous = byStage.get(look.stageIndex);
    if (!previous || Date.parse(look.at) >= Date.parse(previous.at)) {
      byStage.set(look.stageIndex, look);
    }
  }
  return byStage;
}

const StageCaption = ({ stage }: { stage: Stage }) => (
  <Typography
    variant="caption"
    component="div"
    color="textSecondary"
    align="center"
  >
    min {formatDuration(stage.minDurationMs)}
    {stage.requireApproval && (
      <Box display="flex" alignItems="center" justifyContent="center">
        <LockIcon fontSize="inherit" /> approval gate
      </Box>
    )}
  </Typography>
);

const CurrentStageProgress = ({ rollout }: { rollout: Rollout }) => {
  const now = useNow();
  const stage = rollout.strategy.stages[rollout.stageIndex];
  if (rollout.phase === 'AwaitingApproval') {
    return (
      <Typography variant="body2">
        Waiting for approval before the next stage.
      </Typography>
    );
  }
  if (!stage || !rollout.stageStartedAt) return null;

  const elapsed = now - Date.parse(rollout.stageStartedAt);
  const percent = Math.min(100, (elapsed / stage.minDurationMs) * 100);
  const remaining = stage.minDurationMs - elapsed;
  return (
    <>
      <LinearProgress
        variant="determinate"
        value={percent}
        aria-label="Time in the current stage"
      />
      <Typography variant="body2" component="div">
        {formatDuration(elapsed)} of at least{' '}
        {formatDuration(stage.minDurationMs)}
        {rollout.phase === 'Paused' && ' (paused)'}
        {remaining > 0
          ? ` · judged in ${formatDuration(remaining)}`
          : ` · judged at the next look, at most after ${formatDuration(
              stage.maxDurationMs,
            )}`}
      </Typography>
    </>
  );
};

/**
 * The stages of a rollout: weight, minimum duration and approval gate of each; the current one
 * with its progress and countdown; completed ones with their last verdict.
 */
export const StageStepper = ({
  rollout,
  analysis,
}: {
  rollout: Rollout;
  analysis?: RolloutAnalysis;
}) => {
  const verdicts = lastVerdictsByStage(analysis);
  const states = rollout.strategy.stages.map((_, i) => stageState(rollout, i));
  const current = states.indexOf('current');

  return (
    <InfoCard title="Stages">
      <Stepper
        alternativeLabel
        activeStep={Math.max(rollout.stageIndex, 0)}
        style={{ padding: 0 }}
        role="list"
        aria-label="Stages"
      >
        {rollout.strategy.stages.map((stage, index) => {
          const look = verdicts.get(index);
          return (
            <Step
              key={index}
              role="listitem"
              completed={states[index] === 'done'}
              active={states[index] === 'current'}
            >
              <StepLabel
                error={states[index] === 'failed'}
                optional={<StageCaption stage={stage} />}
              >
                {stage.weight} % canary
                {look && states[index] !== 'upcoming' && (
                  <Box display="flex" justifyContent="center">
                    <VerdictStatus verdict={summarizeVerdicts(look.verdicts)} />
                  </Box>
                )}
              </StepLabel>
            </Step>
          );
        })}
      </Stepper>
      {current >= 0 && (
        <Box mt={2}>
          <CurrentStageProgress rollout={rollout} />
        </Box>
      )}
    </InfoCard>
  );
};
