import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  details: {
    margin: 0,
    padding: theme.spacing(1),
    maxHeight: theme.spacing(40),
    overflow: 'auto',
    fontSize: theme.typography.caption.fontSize,
    backgroundColor: theme.palette.background.default,
    borderRadius: theme.shape.borderRadius,
  },
}));

/** An audit event's details as indented JSON in a small scrolling block. */
export const DetailsJson = ({
  value,
  label,
}: {
  value: unknown;
  /** Its accessible name, where a page shows it among other content. */
  label?: string;
}) => {
  const classes = useStyles();
  return (
    <pre className={classes.details} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
};
