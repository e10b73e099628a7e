import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  ResponseErrorPanel,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { Rollout } from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { usePolling } from '../../hooks/usePolling';
import { useUrlState } from '../../hooks/useUrlState';
import { errorMessage } from '../../utils/errors';
import {
  formatDateTime,
  formatRelativeTime,
  formatStage,
} from '../../utils/format';
import { CursorPagedTable } from '../CursorPagination';
import { EntityCanaryLink } from '../EntityCanaryLink';
import { LaunchFromCatalog } from '../LaunchFromCatalog';
import { PhaseStatus } from '../PhaseStatus';
import { ProviderFaultsIcon } from '../ProviderFaults';
import {
  RolloutRowActions,
  useRolloutActions,
  type RolloutActions,
} from '../RolloutControls';
import { TrafficSplitBar } from '../TrafficSplitBar';
import { parseRolloutFilters, toListRequest } from './filters';
import { RolloutFilterBar } from './RolloutFilterBar';

const Time = ({ iso, now }: { iso: string; now: number }) => (
  <Tooltip title={formatDateTime(iso)}>
    <span>{formatRelativeTime(iso, now)}</span>
  </Tooltip>
);

const OptionalRef = ({ entityRef }: { entityRef?: string }) =>
  entityRef ? <EntityRefLink entityRef={entityRef} hideIcon /> : <>–</>;

function columns(now: number, actions: RolloutActions): TableColumn<Rollout>[] {
  return [
    {
      title: 'Entity',
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => (
        <EntityCanaryLink entityRef={row.entityRef} rolloutId={row.id} />
      ),
    },
    {
      title: 'Versions',
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => `${row.stableVersion} → ${row.canaryVersion}`,
    },
    {
      title: 'Phase',
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => (
        <>
          <PhaseStatus phase={row.phase} />
          <ProviderFaultsIcon faults={row.faults} now={now} />
        </>
      ),
    },
    {
      title: 'Stage and traffic',
      render: row => (
        <>
          <Typography variant="body2">{formatStage(row)}</Typography>
          <TrafficSplitBar weights={row.weights} />
        </>
      ),
    },
    {
      // One column for both keeps the row actions in view on a laptop's screen.
      title: 'Owner / system',
      render: row => (
        <>
          <Typography variant="body2">
            <OptionalRef entityRef={row.owner} />
          </Typography>
          <Typography variant="caption">
            <OptionalRef entityRef={row.system} />
          </Typography>
        </>
      ),
    },
    {
      title: 'Created / updated',
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => (
        <>
          <Typography variant="body2">
            <Time iso={row.createdAt} now={now} />
          </Typography>
          <Typography variant="caption" color="textSecondary">
            updated <Time iso={row.updatedAt} now={now} />
          </Typography>
        </>
      ),
    },
    {
      title: 'Actions',
      render: row => <RolloutRowActions rollout={row} actions={actions} />,
    },
  ];
}

/**
 * Rollouts across the catalog: filtered, sorted and paged by the server, the filters kept in the
 * URL, polled for live updates; row actions and a launch button for any set-up entity.
 */
export const RolloutsTab = () => {
  const canaryApi = useApi(canaryApiRef);
  // Read at each render: the list re-renders at every poll, and a clock of its own would lag
  // behind the server's fresh times ("in 6 seconds").
  const now = Date.now();
  const [filters, setFilters] = useUrlState('filters', parseRolloutFilters);
  const pages = useCursorPages(JSON.stringify(filters));
  const request = toListRequest(filters, pages.cursor);
  const rollouts = usePolling(`rollouts:${JSON.stringify(request)}`, () =>
    canaryApi.listRollouts(request),
  );
  const actions = useRolloutActions(() => rollouts.refresh());

  return (
    <>
      <Box display="flex" alignItems="flex-start" style={{ gap: 16 }} mb={2}>
        <Box flexGrow={1}>
          <RolloutFilterBar filters={filters} onChange={setFilters} />
        </Box>
        <Box mt={2} style={{ whiteSpace: 'nowrap' }}>
          <LaunchFromCatalog onLaunched={() => rollouts.refresh()} />
        </Box>
      </Box>
      {rollouts.error && !rollouts.value && (
        <ResponseErrorPanel error={rollouts.error} />
      )}
      {rollouts.error && rollouts.value && (
        <Alert severity="warning">
          Live updates failed, retrying: {errorMessage(rollouts.error)}
        </Alert>
      )}
      {actions.error && (
        <Alert severity="error" onClose={actions.clearError}>
          {actions.error}
        </Alert>
      )}
      <CursorPagedTable<Rollout>
        title="Rollouts"
        isLoading={rollouts.loading}
        columns={columns(now, actions)}
        data={(rollouts.value?.items ?? []).map(rollout => ({ ...rollout }))}
        emptyText="No rollouts match these filters."
        pagination={{
          label: 'Rollouts',
          pages,
          nextCursor: rollouts.value?.nextCursor,
          pageSize: filters.limit,
          onPageSizeChange: limit => setFilters({ ...filters, limit }),
        }}
      />
      {actions.dialog}
    </>
  );
};
