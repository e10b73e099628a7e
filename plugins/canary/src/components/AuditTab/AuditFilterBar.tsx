import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { fromLocalInput, toLocalInput } from '../../utils/format';
import { EntityRefPicker } from '../EntityRefPicker';
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
    <Box
      display="flex"
      flexWrap="wrap"
      alignItems="flex-end"
      style={{ gap: 16 }}
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
      <TextField
        id="canary-audit-from"
        label="From"
        type="datetime-local"
        margin="dense"
        InputLabelProps={{ shrink: true }}
        value={toLocalInput(filters.from)}
        onChange={e => set({ from: fromLocalInput(e.target.value) })}
      />
      <TextField
        id="canary-audit-to"
        label="To"
        type="datetime-local"
        margin="dense"
        InputLabelProps={{ shrink: true }}
        value={toLocalInput(filters.to)}
        onChange={e => set({ to: fromLocalInput(e.target.value) })}
      />
      <Button
        onClick={() =>
          onChange({ ...DEFAULT_AUDIT_FILTERS, limit: filters.limit })
        }
      >
        Clear filters
      </Button>
    </Box>
  );
};
