import TextField from '@material-ui/core/TextField';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { EntityRefPicker } from '../EntityRefPicker';
import { DateTimeFilter, FilterBar } from '../FilterBar';
import {
  AUDIT_ACTIONS,
  DEFAULT_AUDIT_FILTERS,
  type AuditFilters,
} from './filters';

/** The filters of the audit trail; every change goes to the server. */
export const AuditFilterBar = ({
  filters,
  onChange,
}: {
  filters: AuditFilters;
  onChange: (filters: AuditFilters) => void;
}) => {
  const set = (patch: Partial<AuditFilters>) =>
    onChange({ ...filters, ...patch });
  return (
    <FilterBar
      onClear={() =>
        onChange({ ...DEFAULT_AUDIT_FILTERS, limit: filters.limit })
      }
    >
      <EntityRefPicker
        id="canary-audit-entity"
        label="Entity"
        kind="Component"
        defaultKind="component"
        value={filters.entityRef}
        onChange={entityRef => set({ entityRef })}
      />
      <EntityRefPicker
        id="canary-audit-actor"
        label="Actor"
        kind="User"
        extraOptions={['engine']}
        value={filters.actor}
        onChange={actor => set({ actor })}
      />
      <Autocomplete
        id="canary-audit-action"
        freeSolo
        autoSelect
        options={AUDIT_ACTIONS}
        value={filters.action ?? null}
        onChange={(_event, action) =>
          set({ action: action?.trim() || undefined })
        }
        style={{ minWidth: 200 }}
        renderInput={params => (
          <TextField {...params} label="Action" margin="dense" />
        )}
      />
      <DateTimeFilter
        id="canary-audit-from"
        label="From"
        value={filters.from}
        onChange={from => set({ from })}
      />
      <DateTimeFilter
        id="canary-audit-to"
        label="To"
        value={filters.to}
        onChange={to => set({ to })}
      />
    </FilterBar>
  );
};
