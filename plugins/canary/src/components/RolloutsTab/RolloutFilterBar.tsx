import Checkbox from '@material-ui/core/Checkbox';
import ListItemText from '@material-ui/core/ListItemText';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import {
  PHASES,
  type Phase,
} from '@canary-release/backstage-plugin-canary-common';
import { EntityRefPicker } from '../EntityRefPicker';
import { DateTimeFilter, FilterBar } from '../FilterBar';
import { phaseLabel } from '../PhaseStatus';
import {
  DEFAULT_ROLLOUT_FILTERS,
  SORT_FIELDS,
  type RolloutFilters,
} from './filters';

/** The filters and order of the Rollouts tab; every change goes to the server. */
export const RolloutFilterBar = ({
  filters,
  onChange,
}: {
  filters: RolloutFilters;
  onChange: (filters: RolloutFilters) => void;
}) => {
  const set = (patch: Partial<RolloutFilters>) =>
    onChange({ ...filters, ...patch });
  return (
    <FilterBar
      onClear={() =>
        onChange({ ...DEFAULT_ROLLOUT_FILTERS, limit: filters.limit })
      }
    >
      <TextField
        select
        id="canary-filter-phase"
        label="Phase"
        margin="dense"
        style={{ minWidth: 180 }}
        value={filters.phases}
        SelectProps={{
          multiple: true,
          renderValue: selected =>
            (selected as Phase[]).map(phaseLabel).join(', ') || 'Any',
          displayEmpty: true,
        }}
        InputLabelProps={{ shrink: true }}
        onChange={e => set({ phases: e.target.value as unknown as Phase[] })}
      >
        {PHASES.map(phase => (
          <MenuItem key={phase} value={phase}>
            <Checkbox size="small" checked={filters.phases.includes(phase)} />
            <ListItemText primary={phaseLabel(phase)} />
          </MenuItem>
        ))}
      </TextField>
      <EntityRefPicker
        id="canary-filter-owner"
        label="Owner"
        kind="Group"
        defaultKind="group"
        value={filters.owner}
        onChange={owner => set({ owner })}
      />
      <EntityRefPicker
        id="canary-filter-system"
        label="System"
        kind="System"
        defaultKind="system"
        value={filters.system}
        onChange={system => set({ system })}
      />
      <DateTimeFilter
        id="canary-filter-created-after"
        label="Created after"
        value={filters.createdAfter}
        onChange={createdAfter => set({ createdAfter })}
      />
      <DateTimeFilter
        id="canary-filter-created-before"
        label="Created before"
        value={filters.createdBefore}
        onChange={createdBefore => set({ createdBefore })}
      />
      <TextField
        select
        id="canary-sort"
        label="Sort by"
        margin="dense"
        value={filters.sort}
        onChange={e => set({ sort: e.target.value as RolloutFilters['sort'] })}
      >
        {SORT_FIELDS.map(field => (
          <MenuItem key={field.value} value={field.value}>
            {field.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        id="canary-order"
        label="Order"
        margin="dense"
        value={filters.order}
        onChange={e =>
          set({ order: e.target.value as RolloutFilters['order'] })
        }
      >
        <MenuItem value="desc">Descending</MenuItem>
        <MenuItem value="asc">Ascending</MenuItem>
      </TextField>
    </FilterBar>
  );
};
