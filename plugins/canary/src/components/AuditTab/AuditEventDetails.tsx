import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type {
  AuditEvent,
  MetricVerdict,
} from '@canary-release/backstage-plugin-canary-common';
import { DetailsJson } from '../DetailsJson';
import { EntityCanaryLink } from '../EntityCanaryLink';
import { VerdictsTable } from '../VerdictsTable';

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
        <DetailsJson value={rest} label="Details" />
      )}
    </Box>
  );
};
