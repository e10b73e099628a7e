import type { ReactNode } from 'react';
import Grid from '@material-ui/core/Grid';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { InfoCard } from '@backstage/core-components';
import {
  isFinalPhase,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { useNow } from '../../hooks/useNow';
import {
  formatActor,
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  formatStage,
} from '../../utils/format';
import { PhaseStatus } from '../PhaseStatus';
import { TrafficSplitBar } from '../TrafficSplitBar';

const Field = ({ label, children }: { label: string; children: ReactNode }) => (
  <Grid item xs={12} sm={6} md={4}>
    <Typography variant="overline" color="textSecondary" component="div">
      {label}
    </Typography>
    <Typography variant="body2" component="div">
      {children}
    </Typography>
  </Grid>
);

const Time = ({ iso, now }: { iso: string; now: number }) => (
  <Tooltip title={formatDateTime(iso)}>
    <span>{formatRelativeTime(iso, now)}</span>
  </Tooltip>
);

/** Where a rollout stands: versions, phase, traffic split, who launched it, stage timing. */
export const RolloutHeader = ({ rollout }: { rollout: Rollout }) => {
  const now = useNow();
  const active = !isFinalPhase(rollout.phase);
  const { nextLookAt } = rollout.analysis;

  return (
    <InfoCard title={`${rollout.target.name}: canary ${rollout.canaryVersion}`}>
      <Grid container spacing={2}>
        <Field label="Phase">
          <PhaseStatus phase={rollout.phase} />
        </Field>
        <Field label="Versions">
          stable <strong>{rollout.stableVersion}</strong> → canary{' '}
          <strong>{rollout.canaryVersion}</strong>
        </Field>
        <Field label="Traffic">
          <TrafficSplitBar weights={rollout.weights} />
        </Field>
        <Field label="Launched">
          by{' '}
          <span title={rollout.createdBy}>
            {formatActor(rollout.createdBy)}
          </span>{' '}
          <Time iso={rollout.createdAt} now={now} />
          {rollout.reason && <div>“{rollout.reason}”</div>}
        </Field>
        <Field label="Stage">
          {formatStage(rollout)}
          {active && rollout.stageStartedAt && (
            <div>
              {formatDuration(now - Date.parse(rollout.stageStartedAt))} in
              stage
            </div>
          )}
        </Field>
        {active ? (
          <Field label="Next look">
            {nextLookAt ? (
              <Tooltip title={formatDateTime(nextLookAt)}>
                <span>in {formatDuration(Date.parse(nextLookAt) - now)}</span>
              </Tooltip>
            ) : (
              'Not scheduled'
            )}
          </Field>
        ) : (
          <Field label="Finished">
            {rollout.finishedAt ? (
              <Time iso={rollout.finishedAt} now={now} />
            ) : (
              '–'
            )}
          </Field>
        )}
      </Grid>
    </InfoCard>
  );
};
