import type { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import { fromLocalInput, toLocalInput } from '../../utils/format';

/** The filters above a server-filtered list, followed by a button that clears them. */
export const FilterBar = ({
  onClear,
  children,
}: {
  onClear: () => void;
  children: ReactNode;
}) => (
  <Box display="flex" flexWrap="wrap" alignItems="flex-end" style={{ gap: 16 }}>
    {children}
    <Button onClick={onClear}>Clear filters</Button>
  </Box>
);

/** A time filter: typed as local time, kept as an ISO time; empty or unreadable is no bound. */
export const DateTimeFilter = ({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
}) => (
  <TextField
    id={id}
    label={label}
    type="datetime-local"
    margin="dense"
    InputLabelProps={{ shrink: true }}
    value={toLocalInput(value)}
    onChange={e => onChange(fromLocalInput(e.target.value))}
  />
);
