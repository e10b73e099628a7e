import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import type {
  Rollout,
  RolloutAction,
} from '@canary-release/backstage-plugin-canary-common';
import { ACTIONS } from './actions';

/** Confirms an action and asks why; the reason goes to the audit trail. */
export const ActionDialog = ({
  rollout,
  action,
  running,
  error,
  onConfirm,
  onCancel,
}: {
  rollout: Rollout;
  action: RolloutAction;
  running: boolean;
  error?: string;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) => {
  const presentation = ACTIONS[action];
  const [reason, setReason] = useState('');
  const missingReason = Boolean(presentation.reasonRequired) && !reason.trim();

  return (
    <Dialog open onClose={onCancel} fullWidth maxWidth="sm">
      <form
        onSubmit={e => {
          e.preventDefault();
          if (!missingReason) onConfirm(reason.trim());
        }}
      >
        <DialogTitle>
          {presentation.label} the rollout of {rollout.canaryVersion}?
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {presentation.description(rollout)}
          </DialogContentText>
          <TextField
            id="canary-action-reason"
            fullWidth
            multiline
            label="Reason"
            required={presentation.reasonRequired}
            helperText={
              presentation.reasonRequired
                ? 'Required: it goes to the audit trail.'
                : 'Optional: it goes to the audit trail.'
            }
            value={reason}
            onChange={e => setReason(e.target.value)}
          />
          {error && (
            <Alert severity="error" style={{ marginTop: 16 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button
            type="submit"
            variant="contained"
            color={presentation.destructive ? 'secondary' : 'primary'}
            disabled={running || missingReason}
          >
            {presentation.label}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
};
