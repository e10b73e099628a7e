import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import TimelineConnector from '@material-ui/lab/TimelineConnector';
import TimelineContent from '@material-ui/lab/TimelineContent';
import TimelineDot from '@material-ui/lab/TimelineDot';
import TimelineItem from '@material-ui/lab/TimelineItem';
import TimelineOppositeContent from '@material-ui/lab/TimelineOppositeContent';
import TimelineSeparator from '@material-ui/lab/TimelineSeparator';
import type { AuditEvent } from '@canary-release/backstage-plugin-canary-common';
import {
  formatActor,
  formatDateTime,
  formatRelativeTime,
} from '../../utils/format';
import { DetailsJson } from '../DetailsJson';
import { phaseLabel } from '../PhaseStatus';

const useStyles = makeStyles(theme => ({
  time: { flex: 0, minWidth: theme.spacing(14) },
}));

/** One audit event: who did what and when, the phase and traffic change, why, and the numbers. */
export const AuditEventItem = ({
  event,
  now,
  last,
}: {
  event: AuditEvent;
  now: number;
  last: boolean;
}) => {
  const classes = useStyles();
  const [showDetails, setShowDetails] = useState(false);
  const hasDetails = Object.keys(event.details ?? {}).length > 0;
  const phaseChange =
    event.phaseBefore && event.phaseBefore !== event.phaseAfter
      ? `${phaseLabel(event.phaseBefore)} → ${phaseLabel(event.phaseAfter)}`
      : phaseLabel(event.phaseAfter);

  return (
    <TimelineItem>
      <TimelineOppositeContent className={classes.time}>
        <Tooltip title={formatDateTime(event.at)}>
          <Typography variant="caption" color="textSecondary">
            {formatRelativeTime(event.at, now)}
          </Typography>
        </Tooltip>
      </TimelineOppositeContent>
      <TimelineSeparator>
        <TimelineDot color={event.actor === 'engine' ? 'grey' : 'primary'} />
        {!last && <TimelineConnector />}
      </TimelineSeparator>
      <TimelineContent>
        <Typography variant="body2">
          <strong>{event.action}</strong> by{' '}
          <span title={event.actor}>{formatActor(event.actor)}</span>
        </Typography>
        <Typography variant="caption" color="textSecondary" component="div">
          {phaseChange} · canary {event.weightsAfter.canary} %
          {event.stageIndex >= 0 && ` · stage ${event.stageIndex + 1}`}
        </Typography>
        {event.reason && (
          <Typography variant="body2">{event.reason}</Typography>
        )}
        {hasDetails && (
          <Box>
            <Button size="small" onClick={() => setShowDetails(s => !s)}>
              {showDetails ? 'Hide the numbers' : 'Show the numbers'}
            </Button>
            {showDetails && <DetailsJson value={event.details} />}
          </Box>
        )}
      </TimelineContent>
    </TimelineItem>
  );
};
