import Grid from '@material-ui/core/Grid';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  isFinalPhase,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import type { LiveUpdates } from '../../hooks/useRolloutSignal';
import { AuditTimeline } from '../AuditTimeline';
import { MetricComparison } from '../MetricComparison';
import { ProviderFaults } from '../ProviderFaults';
import { RolloutControls } from '../RolloutControls';
import { RolloutHeader } from '../RolloutHeader';
import { RolloutMessage } from '../RolloutMessage';
import { StageStepper } from '../StageStepper';
import { VerdictsTable } from '../VerdictsTable';

/** Everything about one rollout; its analysis and audit trail poll while it is active. */
export const RolloutDetails = ({
  rollout,
  liveUpdates,
  onChanged,
}: {
  rollout: Rollout;
  liveUpdates: LiveUpdates;
  onChanged: (rollout: Rollout) => void;
}) => {
  const canaryApi = useApi(canaryApiRef);
  const live = !isFinalPhase(rollout.phase);
  const analysis = usePolling(
    `analysis:${rollout.id}`,
    () => canaryApi.getAnalysis(rollout.id),
    { poll: live, ...liveUpdates },
  );

  let metrics;
  if (analysis.value) {
    metrics = (
      <MetricComparison analysis={analysis.value} strategy={rollout.strategy} />
    );
  } else if (analysis.error) {
    metrics = <ResponseErrorPanel error={analysis.error} />;
  } else {
    metrics = (
      <InfoCard title="Metrics over time">
        <Progress />
      </InfoCard>
    );
  }

  return (
    <>
      <Grid item xs={12}>
        <RolloutMessage rollout={rollout} />
      </Grid>
      {rollout.faults && (
        <Grid item xs={12}>
          <ProviderFaults faults={rollout.faults} />
        </Grid>
      )}
      <Grid item xs={12} md={8}>
        <RolloutHeader rollout={rollout} />
      </Grid>
      <Grid item xs={12} md={4}>
        <RolloutControls rollout={rollout} onChanged={onChanged} />
      </Grid>
      <Grid item xs={12}>
        <StageStepper rollout={rollout} analysis={analysis.value} />
      </Grid>
      <Grid item xs={12}>
        <VerdictsTable
          verdicts={rollout.analysis.latestVerdicts}
          lastLookAt={rollout.analysis.lastLookAt}
          metrics={rollout.strategy.analysis.metrics}
        />
      </Grid>
      <Grid item xs={12}>
        {metrics}
      </Grid>
      <Grid item xs={12}>
        <AuditTimeline
          rolloutId={rollout.id}
          live={live}
          liveUpdates={liveUpdates}
        />
      </Grid>
    </>
  );
};
