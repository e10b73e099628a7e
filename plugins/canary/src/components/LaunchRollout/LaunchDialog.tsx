import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useApi } from '@backstage/core-plugin-api';
import type { Rollout } from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef, type LaunchRolloutRequest } from '../../api';
import { errorMessage } from '../../utils/errors';
import { StagesEditor } from './StagesEditor';
import { type StageDraft, validateStages } from './stages';

/**
 * Asks for the canary version, the reason and optionally custom stages, and launches a rollout.
 * The server's answer to bad input (a 400, or a 409 when a rollout is already running) shows in
 * the dialog.
 */
export const LaunchDialog = ({
  entityRef,
  initialStages,
  stableVersionHint,
  onLaunched,
  onClose,
}: {
  entityRef: string;
  /** Where the custom stage editor starts from. */
  initialStages: StageDraft[];
  /** The version serving today, shown as the stable version's placeholder. */
  stableVersionHint?: string;
  onLaunched: (rollout: Rollout) => void;
  onClose: () => void;
}) => {
  const canaryApi = useApi(canaryApiRef);
  const [canaryVersion, setCanaryVersion] = useState('');
  const [stableVersion, setStableVersion] = useState('');
  const [reason, setReason] = useState('');
  const [custom, setCustom] = useState(false);
  const [stages, setStages] = useState(initialStages);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();

  const validation = validateStages(stages);
  const valid =
    canaryVersion.trim() !== '' && (!custom || validation.stages !== undefined);

  const launch = async () => {
    const request: LaunchRolloutRequest = {
      entityRef,
      canaryVersion: canaryVersion.trim(),
      ...(stableVersion.trim() && { stableVersion: stableVersion.trim() }),
      ...(reason.trim() && { reason: reason.trim() }),
      ...(custom && { strategy: { stages: validation.stages } }),
    };
    setSubmitting(true);
    setError(undefined);
    try {
      onLaunched(await canaryApi.launchRollout(request));
    } catch (e) {
      setError(errorMessage(e as Error));
      setSubmitting(false);
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md">
      <form
        onSubmit={e => {
          e.preventDefault();
          if (valid) launch();
        }}
      >
        <DialogTitle>Launch a canary rollout</DialogTitle>
        <DialogContent>
          <TextField
            fullWidth
            required
            id="canary-launch-canary-version"
            margin="dense"
            label="Canary version"
            helperText="The version to roll out, e.g. 1.4.0"
            value={canaryVersion}
            onChange={e => setCanaryVersion(e.target.value)}
          />
          <TextField
            fullWidth
            id="canary-launch-stable-version"
            margin="dense"
            label="Stable version"
            placeholder={stableVersionHint}
            helperText="Leave empty for the version serving today"
            value={stableVersion}
            onChange={e => setStableVersion(e.target.value)}
          />
          <TextField
            fullWidth
            multiline
            id="canary-launch-reason"
            margin="dense"
            label="Reason"
            helperText="Why this rollout; it goes to the audit trail"
            value={reason}
            onChange={e => setReason(e.target.value)}
          />
          <Typography variant="subtitle2" style={{ marginTop: 16 }}>
            Strategy
          </Typography>
          <RadioGroup
            row
            value={custom ? 'custom' : 'default'}
            onChange={e => setCustom(e.target.value === 'custom')}
          >
            <FormControlLabel
              value="default"
              control={<Radio />}
              label="Default stages (from the server's configuration)"
            />
            <FormControlLabel
              value="custom"
              control={<Radio />}
              label="Custom stages"
            />
          </RadioGroup>
          {custom && (
            <StagesEditor
              stages={stages}
              errors={validation.errors}
              onChange={setStages}
            />
          )}
          {error && (
            <Alert severity="error" style={{ marginTop: 16 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            variant="contained"
            color="primary"
            disabled={!valid || submitting}
          >
            Launch
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
};
