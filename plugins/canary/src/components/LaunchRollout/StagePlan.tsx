import { useState, type ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import type {
  Stage,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { formatDuration } from '../../utils/format';
import { formatDifference, formatPercent } from '../../utils/units';
import {
  formatApproxDuration,
  planStages,
  type ObservedTraffic,
  type StageEstimate,
} from './plan';

/** The planner needs some baseline errors: a perfect baseline is planned with this rate. */
const MIN_PLANNED_ERROR_RATE = 0.001;

function positiveNumber(text: string): number | undefined {
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(value) && value > 0
    ? value
    : undefined;
}

function describe(
  estimate: StageEstimate,
  stage: Stage,
  inconclusiveAction: string,
): string {
  if ('unavailable' in estimate) return estimate.unavailable;
  const detect = `${formatApproxDuration(
    estimate.detectSeconds,
  )} to catch a 2x-margin regression (${formatDifference(
    estimate.regression,
    'fraction',
  )})`;
  const promote = `${formatApproxDuration(
    estimate.promoteSeconds,
  )} to promote a healthy canary`;
  if (!estimate.fits) {
    const then = inconclusiveAction === 'rollback' ? 'roll back' : 'pause';
    return `needs more than the stage's maximum (${formatDuration(
      stage.maxDurationMs,
    )}) at this traffic (${promote}), so it would ${then}; ${detect}`;
  }
  return `${promote}, ${detect}`;
}

/**
 * The planner's estimate of how long each stage needs to reach a decision on the error rate,
 * at a traffic and baseline error rate the user can change; both start from what the entity's
 * latest rollout observed.
 */
export const StagePlan = ({
  stages,
  strategy,
  observed,
}: {
  /** The stages to plan; undefined while the custom stages are invalid. */
  stages?: Stage[];
  /** The strategy the stages run with; undefined when the server's strategies are unknown. */
  strategy?: Strategy;
  observed?: ObservedTraffic;
}) => {
  const [requestsPerSecond, setRequestsPerSecond] = useState(
    observed ? String(Number(observed.requestsPerSecond.toPrecision(3))) : '',
  );
  const [errorRate, setErrorRate] = useState(
    String(
      Number(
        (
          Math.max(
            observed?.baselineErrorRate ?? MIN_PLANNED_ERROR_RATE,
            MIN_PLANNED_ERROR_RATE,
          ) * 100
        ).toPrecision(2),
      ),
    ),
  );
  const rps = positiveNumber(requestsPerSecond);
  const rate = positiveNumber(errorRate);
  const rateValid = rate !== undefined && rate < 100;

  let content: ReactNode;
  if (!strategy) {
    content = 'Estimates need the server’s strategies.';
  } else if (!stages) {
    content = 'Fix the stages to see estimates.';
  } else if (rps === undefined || !rateValid) {
    content = 'Enter the traffic and the baseline error rate to see estimates.';
  } else {
    const estimates = planStages(stages, strategy, {
      requestsPerSecond: rps,
      baselineErrorRate: rate / 100,
    });
    content = (
      <Box component="ol" m={0} pl={3} aria-label="Estimates per stage">
        {stages.map((stage, i) => (
          <li key={i}>
            <strong>
              {stage.weight} % for {formatDuration(stage.minDurationMs)}–
              {formatDuration(stage.maxDurationMs)}:
            </strong>{' '}
            {describe(
              estimates[i],
              stage,
              strategy.analysis.inconclusiveAction,
            )}
          </li>
        ))}
      </Box>
    );
  }

  return (
    <Box>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <TextField
          id="canary-plan-rps"
          margin="dense"
          label="Traffic (requests/s)"
          value={requestsPerSecond}
          onChange={e => setRequestsPerSecond(e.target.value)}
          error={requestsPerSecond !== '' && rps === undefined}
          helperText={
            observed
              ? `Observed in the rollout of ${observed.rollout.canaryVersion}`
              : 'No rollout has measured it yet'
          }
          inputProps={{ inputMode: 'decimal' }}
        />
        <TextField
          id="canary-plan-error-rate"
          margin="dense"
          label="Baseline error rate (%)"
          value={errorRate}
          onChange={e => setErrorRate(e.target.value)}
          error={!rateValid}
          helperText={
            observed
              ? `Observed: ${formatPercent(
                  observed.baselineErrorRate,
                )} of ${observed.baselineRequests.toLocaleString(
                  'en',
                )} requests`
              : 'Assumed: no rollout has measured it yet'
          }
          inputProps={{ inputMode: 'decimal' }}
        />
      </Box>
      <Typography variant="body2" component="div">
        {content}
      </Typography>
    </Box>
  );
};
