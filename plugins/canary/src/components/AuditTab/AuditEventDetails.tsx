import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type {
  AuditEvent,
  MetricVerdict,
} from '@canary-release/backstage-plugin-canary-common';
import { EntityCanaryLink } from '../EntityCanaryLink';
import { VerdictsTable } from '../VerdictsTable';

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

/** The verdicts an automatic decision rests on, when the event carries them. */
export function decisionVerdicts(
  event: AuditEvent,
): MetricVerdict[] | undefined {
  const verdicts = event.details?.verdicts;
  return Array.isArray(verdicts) ? (verdicts as MetricVerdict[]) : undefined;
}

/**
 * The numbers behind an audit event: the verdicts of an automatic decision as a table, the rest
 * of its details as JSON, and a link to its rollout.
 */
export const AuditEventDetails = ({ event }: { event: AuditEvent }) => {
  const classes = useStyles();
  const verdicts = decisionVerdicts(event);
  const { verdicts: _shown, ...rest } = event.details ?? {};
  return (
    <Box p={2}>
      <Typography variant="body2" paragraph>
        <EntityCanaryLink
          entityRef={event.entityRef}
          rolloutId={event.rolloutId}
        >
          Open the rollout
        </EntityCanaryLink>{' '}
        ({event.rolloutId})
      </Typography>
      {verdicts && (
        <VerdictsTable
          title="Verdicts behind this decision"
          verdicts={verdicts}
          lastLookAt={event.at}
        />
      )}
      {Object.keys(rest).length > 0 && (
        <pre className={classes.details} aria-label="Details">
          {JSON.stringify(rest, null, 2)}
        </pre>
      )}
    </Box>
  );
};
