import { useState, type ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type {
  MetricDefinition,
  Rollout,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { errorMessage } from '../../utils/errors';
import { formatDuration } from '../../utils/format';
import { formatChange, formatDifference, formatValue } from '../../utils/units';
import { observedTraffic } from './plan';
import { StagePlan } from './StagePlan';
import { StagesEditor } from './StagesEditor';
import {
  DOCUMENTED_DEFAULT_STAGES,
  type StageDraft,
  toLaunchRequest,
  toStageDrafts,
  toStages,
  validateStages,
} from './stages';

/** The strategy picker's value for the server's defaults (preset names are config keys). */
const DEFAULTS = '(defaults)';

/** A metric's margin and hard ceilings in words, e.g. `latency margin +10.0 % (at most 2 s)`. */
function metricLimits(metric: MetricDefinition): string | undefined {
  const limits: string[] = [];
  let margin: string | undefined;
  if (metric.kind === 'proportion') {
    margin = formatDifference(metric.margin, 'fraction');
    if (metric.maxRate !== undefined) {
      limits.push(formatValue(metric.maxRate, 'fraction'));
    }
    if (metric.maxRatio !== undefined) {
      limits.push(`${metric.maxRatio}x baseline`);
    }
  } else if (metric.kind === 'count') {
    margin =
      metric.margin === undefined ? undefined : formatChange(metric.margin);
  } else if (metric.kind === 'distribution') {
    margin =
      metric.margin === undefined ? undefined : formatChange(metric.margin);
    if (metric.max !== undefined) {
      limits.push(formatValue(metric.max, metric.unit ?? 's'));
    }
  }
  if (margin === undefined && limits.length === 0) return undefined;
  const ceilings = limits.length > 0 ? `at most ${limits.join(' and ')}` : '';
  if (margin === undefined) return `${metric.name} ${ceilings}`;
  return `${metric.name} margin ${margin}${ceilings && ` (${ceilings})`}`;
}

/** One line about a strategy: its stages, how often it looks, and its metrics' limits. */
function summarize(strategy: Strategy): string {
  const parts = [
    strategy.stages.map(s => `${s.weight} %`).join(' → '),
    `a look every ${formatDuration(strategy.analysis.intervalMs)}`,
  ];
  for (const metric of strategy.analysis.metrics) {
    const limits = metricLimits(metric);
    if (limits) parts.push(limits);
  }
  return parts.join(', ');
}

/**
 * Asks for the canary version, the reason and the strategy (a preset the server is configured
 * with, or its defaults, optionally with custom stages), shows the planner's estimate of how long
 * each stage needs to decide, and launches the rollout. The server's answer to bad input (a 400,
 * or a 409 when a rollout is already running) shows in the dialog.
 */
export const LaunchDialog = ({
  entityRef,
  entityPreset,
  history,
  stableVersionHint,
  onLaunched,
  onClose,
}: {
  entityRef: string;
  /** The preset the entity's `canary.backstage.io/preset` annotation names. */
  entityPreset?: string;
  /** The entity's rollouts, newest first: their traffic feeds the estimates. */
  history: Rollout[];
  /** The version serving today, shown as the stable version's placeholder. */
  stableVersionHint?: string;
  onLaunched: (rollout: Rollout) => void;
  onClose: () => void;
}) => {
  const canaryApi = useApi(canaryApiRef);
  const strategies = usePolling('strategies', () => canaryApi.getStrategies(), {
    poll: false,
  });
  const [canaryVersion, setCanaryVersion] = useState('');
  const [stableVersion, setStableVersion] = useState('');
  const [reason, setReason] = useState('');
  const [picked, setPicked] = useState<string>();
  const [customize, setCustomize] = useState(false);
  const [drafts, setDrafts] = useState<StageDraft[]>();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();
  const [observed] = useState(() => observedTraffic(history));

  const catalog = strategies.value;
  const presets = Object.keys(catalog?.presets ?? {});
  const choice =
    picked ??
    (entityPreset && presets.includes(entityPreset) ? entityPreset : DEFAULTS);
  const strategy =
    choice === DEFAULTS ? catalog?.defaults : catalog?.presets[choice];
  let initialDrafts = DOCUMENTED_DEFAULT_STAGES;
  if (strategy) {
    initialDrafts = toStageDrafts(strategy.stages);
  } else if (history[0]) {
    initialDrafts = toStageDrafts(history[0].strategy.stages);
  }
  const stageDrafts = drafts ?? initialDrafts;
  const validation = validateStages(stageDrafts);
  const valid =
    !strategies.loading &&
    canaryVersion.trim() !== '' &&
    (!customize || validation.stages !== undefined);

  let plannedStages = strategy?.stages;
  if (customize) {
    plannedStages = validation.stages && toStages(validation.stages);
  }

  const launch = async () => {
    const request = toLaunchRequest({
      entityRef,
      canaryVersion,
      stableVersion,
      reason,
      preset: catalog && choice !== DEFAULTS ? choice : undefined,
      entityPreset,
      defaults: catalog?.defaults,
      stages: customize ? validation.stages : undefined,
    });
    setSubmitting(true);
    setError(undefined);
    try {
      onLaunched(await canaryApi.launchRollout(request));
    } catch (e) {
      setError(errorMessage(e as Error));
      setSubmitting(false);
    }
  };

  let strategyPicker: ReactNode;
  if (strategies.loading) {
    strategyPicker = <Progress />;
  } else if (!catalog) {
    strategyPicker = (
      <Alert severity="warning">
        {`The configured strategies could not be loaded (${errorMessage(
          strategies.error!,
        )}): the rollout gets the entity’s preset or the server’s defaults.`}
      </Alert>
    );
  } else {
    strategyPicker = (
      <TextField
        select
        fullWidth
        id="canary-launch-strategy"
        margin="dense"
        label="Strategy"
        value={choice}
        onChange={e => {
          setPicked(e.target.value);
          setDrafts(undefined);
        }}
        helperText={strategy && summarize(strategy)}
      >
        {presets.map(preset => (
          <MenuItem key={preset} value={preset}>
            {preset} (preset
            {preset === entityPreset ? ' of this entity' : ''})
          </MenuItem>
        ))}
        <MenuItem value={DEFAULTS}>The server’s defaults</MenuItem>
      </TextField>
    );
  }

  return (
    <Dialog
      open
      onClose={onClose}
      fullWidth
      maxWidth="md"
      aria-labelledby="canary-launch-title"
    >
      <form
        onSubmit={e => {
          e.preventDefault();
          if (valid) launch();
        }}
      >
        <DialogTitle id="canary-launch-title">
          Launch a canary rollout
        </DialogTitle>
        <DialogContent dividers>
          <Grid container spacing={2}>
            <Grid item xs={12} sm={6}>
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
            </Grid>
            <Grid item xs={12} sm={6}>
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
            </Grid>
          </Grid>
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
          <Box mt={2}>{strategyPicker}</Box>
          <FormControlLabel
            label="Custom stages"
            control={
              <Checkbox
                checked={customize}
                onChange={e => setCustomize(e.target.checked)}
              />
            }
          />
          {customize && (
            <StagesEditor
              stages={stageDrafts}
              errors={validation.errors}
              onChange={setDrafts}
            />
          )}
          <Typography variant="subtitle2" style={{ marginTop: 16 }}>
            Time each stage needs to decide (error rate)
          </Typography>
          <StagePlan
            stages={plannedStages}
            strategy={strategy}
            observed={observed}
          />
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
