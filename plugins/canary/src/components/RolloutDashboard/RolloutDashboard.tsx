import { useEffect, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  useQueryParamState,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { canaryApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { useRolloutSignal } from '../../hooks/useRolloutSignal';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { LaunchRolloutButton } from '../LaunchRollout';
import { RolloutHistory } from '../RolloutHistory';
import { RolloutDetails } from './RolloutDetails';

/** How many of the entity's rollouts the tab loads: the current one and its history. */
const HISTORY_LIMIT = 20;

/**
 * The rollouts of one entity: the newest (or the one picked from the history or named by the
 * `rollout` query parameter) in detail, the launch button and the history. Polls for live
 * updates.
 */
export const RolloutDashboard = ({
  entityRef,
  entityPreset,
}: {
  entityRef: string;
  /** The strategy preset the entity's annotation names, preselected in the launch dialog. */
  entityPreset?: string;
}) => {
  const canaryApi = useApi(canaryApiRef);
  // A link (from the audit trail, say) opens the tab on a past rollout; picks from the history
  // are the tab's own state.
  const [linkedId] = useQueryParamState<string>('rollout');
  const [selectedId, setSelectedId] = useState(linkedId);
  const top = useRef<HTMLDivElement>(null);
  // Each pick from the history (at the bottom) brings the picked rollout's details into view,
  // once they have rendered: a scroll started before would end off target, as the browser keeps
  // what is on screen in place while the content above it changes. Not smooth: a smooth scroll
  // still running while the picked rollout's charts load stops short of its target.
  const [picks, setPicks] = useState(0);
  useEffect(() => {
    if (picks > 0) {
      top.current?.scrollIntoView?.({ block: 'start' });
    }
  }, [picks]);
  const liveUpdates = useRolloutSignal(entityRef);
  const rollouts = usePolling(
    `rollouts:${entityRef}`,
    () => canaryApi.listRollouts({ entityRef, limit: HISTORY_LIMIT }),
    liveUpdates,
  );

  if (rollouts.loading) {
    return <Progress />;
  }
  if (!rollouts.value) {
    return <ResponseErrorPanel error={rollouts.error!} />;
  }

  const items = rollouts.value.items;
  const latest = items[0];
  const rollout = items.find(r => r.id === selectedId) ?? latest;
  const showLatest = () => {
    setSelectedId(undefined);
    rollouts.refresh();
  };
  const launchButton = (
    <LaunchRolloutButton
      entityRef={entityRef}
      entityPreset={entityPreset}
      history={items}
      onLaunched={showLatest}
    />
  );

  if (!rollout) {
    return (
      <EmptyState
        missing="data"
        title="No rollouts yet"
        description="Launch a rollout to send a share of the traffic to a new version while the engine compares it with the stable one."
        action={launchButton}
      />
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} ref={top}>
        <Box display="flex" alignItems="center" style={{ gap: 16 }}>
          <Box flexGrow={1}>
            {rollout !== latest && (
              <Typography variant="body2">
                Showing the rollout of {rollout.canaryVersion} launched{' '}
                {formatDateTime(rollout.createdAt)}.{' '}
                <Button size="small" color="primary" onClick={showLatest}>
                  Show the latest rollout
                </Button>
              </Typography>
            )}
          </Box>
          {launchButton}
        </Box>
      </Grid>
      {rollouts.error && (
        <Grid item xs={12}>
          <Alert severity="warning">
            Live updates failed, retrying: {errorMessage(rollouts.error)}
          </Alert>
        </Grid>
      )}
      <RolloutDetails
        rollout={rollout}
        liveUpdates={liveUpdates}
        onChanged={() => rollouts.refresh()}
      />
      <Grid item xs={12}>
        <RolloutHistory
          rollouts={items}
          selectedId={rollout.id}
          onSelect={id => {
            setSelectedId(id);
            setPicks(n => n + 1);
          }}
        />
      </Grid>
    </Grid>
  );
};
