import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type { Weights } from '@canary-release/backstage-plugin-canary-common';

const useStyles = makeStyles(theme => ({
  bar: {
    display: 'flex',
    height: theme.spacing(1.5),
    borderRadius: theme.shape.borderRadius,
    overflow: 'hidden',
    backgroundColor: theme.palette.action.disabledBackground,
  },
  stable: { backgroundColor: theme.palette.primary.main },
  canary: { backgroundColor: theme.palette.warning.main },
  legend: {
    display: 'flex',
    justifyContent: 'space-between',
    marginTop: theme.spacing(0.5),
  },
}));

/** The traffic split between the stable and the canary version, as a bar with its numbers. */
export const TrafficSplitBar = ({ weights }: { weights: Weights }) => {
  const classes = useStyles();
  const label = `stable ${weights.stable} %, canary ${weights.canary} %`;
  return (
    <Box minWidth={160}>
      <div className={classes.bar} role="img" aria-label={label}>
        <div
          className={classes.stable}
          style={{ width: `${weights.stable}%` }}
        />
        <div
          className={classes.canary}
          style={{ width: `${weights.canary}%` }}
        />
      </div>
      <div className={classes.legend}>
        <Typography variant="caption">stable {weights.stable} %</Typography>
        <Typography variant="caption">canary {weights.canary} %</Typography>
      </div>
    </Box>
  );
};
