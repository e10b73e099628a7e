import { useTheme } from '@material-ui/core/styles';
import { Table, type TableColumn } from '@backstage/core-components';
import type { Rollout } from '@canary-release/backstage-plugin-canary-common';
import {
  formatActor,
  formatDateTime,
  formatDuration,
} from '../../utils/format';
import { PhaseStatus } from '../PhaseStatus';

const columns: TableColumn<Rollout>[] = [
  {
    title: 'Launched',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row => formatDateTime(row.createdAt),
  },
  { title: 'Canary', field: 'canaryVersion' },
  { title: 'Stable', field: 'stableVersion' },
  { title: 'Outcome', render: row => <PhaseStatus phase={row.phase} /> },
  { title: 'By', render: row => formatActor(row.createdBy) },
  {
    title: 'Took',
    render: row =>
      row.finishedAt
        ? formatDuration(Date.parse(row.finishedAt) - Date.parse(row.createdAt))
        : 'running',
  },
  {
    title: 'Last message',
    field: 'message',
    cellStyle: { minWidth: 280 },
  },
];

/** The entity's rollouts, newest first; a click on one shows it in the tab. */
export const RolloutHistory = ({
  rollouts,
  selectedId,
  onSelect,
}: {
  rollouts: Rollout[];
  selectedId: string;
  onSelect: (id: string) => void;
}) => {
  const theme = useTheme();
  return (
    <Table<Rollout>
      title="Rollouts of this entity"
      options={{
        paging: false,
        search: false,
        padding: 'dense',
        rowStyle: (row: Rollout) =>
          row.id === selectedId
            ? { backgroundColor: theme.palette.action.selected }
            : {},
      }}
      columns={columns}
      data={rollouts.map(rollout => ({ ...rollout }))}
      onRowClick={(_event, row) => row && onSelect(row.id)}
    />
  );
};
