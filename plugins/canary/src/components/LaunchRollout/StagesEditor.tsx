import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import TextField from '@material-ui/core/TextField';
import AddIcon from '@material-ui/icons/Add';
import DeleteIcon from '@material-ui/icons/Delete';
import type { StageDraft, StageErrors } from './stages';

/** Edits a list of stages: weight, minimum and maximum duration, approval gate. */
export const StagesEditor = ({
  stages,
  errors,
  onChange,
}: {
  stages: StageDraft[];
  errors: StageErrors[];
  onChange: (stages: StageDraft[]) => void;
}) => {
  const update = (index: number, patch: Partial<StageDraft>) =>
    onChange(stages.map((s, i) => (i === index ? { ...s, ...patch } : s)));
  const last = stages[stages.length - 1];

  return (
    <Box>
      {stages.map((stage, index) => {
        const n = index + 1;
        return (
          <Box
            key={index}
            display="flex"
            alignItems="flex-start"
            style={{ gap: 8 }}
          >
            <TextField
              id={`canary-stage-${n}-weight`}
              label={`Stage ${n} weight (%)`}
              value={stage.weight}
              onChange={e => update(index, { weight: e.target.value })}
              error={Boolean(errors[index]?.weight)}
              helperText={errors[index]?.weight ?? ' '}
              inputProps={{ inputMode: 'numeric' }}
            />
            <TextField
              id={`canary-stage-${n}-minDuration`}
              label={`Stage ${n} minimum duration`}
              value={stage.minDuration}
              onChange={e => update(index, { minDuration: e.target.value })}
              error={Boolean(errors[index]?.minDuration)}
              helperText={errors[index]?.minDuration ?? ' '}
            />
            <TextField
              id={`canary-stage-${n}-maxDuration`}
              label={`Stage ${n} maximum duration`}
              placeholder="default"
              value={stage.maxDuration}
              onChange={e => update(index, { maxDuration: e.target.value })}
              error={Boolean(errors[index]?.maxDuration)}
              helperText={errors[index]?.maxDuration ?? ' '}
            />
            <FormControlLabel
              label="Approval gate"
              control={
                <Checkbox
                  checked={stage.requireApproval}
                  onChange={e =>
                    update(index, { requireApproval: e.target.checked })
                  }
                />
              }
            />
            <IconButton
              aria-label={`Remove stage ${n}`}
              disabled={stages.length === 1}
              onClick={() => onChange(stages.filter((_, i) => i !== index))}
            >
              <DeleteIcon />
            </IconButton>
          </Box>
        );
      })}
      <Button
        size="small"
        startIcon={<AddIcon />}
        onClick={() =>
          onChange([
            ...stages,
            {
              weight: '100',
              minDuration: last?.minDuration ?? '5m',
              maxDuration: '',
              requireApproval: false,
            },
          ])
        }
      >
        Add a stage
      </Button>
    </Box>
  );
};
