import Typography from '@material-ui/core/Typography';
import Timeline from '@material-ui/lab/Timeline';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { canaryApiRef } from '../../api';
import { useNow } from '../../hooks/useNow';
import { usePolling } from '../../hooks/usePolling';
import type { LiveUpdates } from '../../hooks/useRolloutSignal';
import { AuditEventItem } from './AuditEventItem';

/** The most events the timeline shows; the audit route has the complete trail. */
const AUDIT_LIMIT = 200;

/** The audit trail of one rollout, newest first; polls while the rollout is active. */
export const AuditTimeline = ({
  rolloutId,
  live,
  liveUpdates,
}: {
  rolloutId: string;
  live: boolean;
  liveUpdates?: LiveUpdates;
}) => {
  const canaryApi = useApi(canaryApiRef);
  const now = useNow(10_000);
  const { value, loading, error } = usePolling(
    `audit:${rolloutId}`,
    () => canaryApi.listAuditEvents({ rolloutId, limit: AUDIT_LIMIT }),
    { poll: live, ...liveUpdates },
  );

  let content;
  if (loading) {
    content = <Progress />;
  } else if (error && !value) {
    content = <ResponseErrorPanel error={error} />;
  } else {
    const events = [...(value?.items ?? [])].sort(
      (a, b) => Date.parse(b.at) - Date.parse(a.at) || b.id - a.id,
    );
    content =
      events.length === 0 ? (
        <Typography variant="body2">No events yet.</Typography>
      ) : (
        <Timeline align="left" style={{ padding: 0, margin: 0 }}>
          {events.map((event, i) => (
            <AuditEventItem
              key={event.id}
              event={event}
              now={now}
              last={i === events.length - 1}
            />
          ))}
        </Timeline>
      );
  }
  return <InfoCard title="Audit trail">{content}</InfoCard>;
};
