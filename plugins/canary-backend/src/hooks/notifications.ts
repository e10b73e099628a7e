import { parseEntityRef } from '@backstage/catalog-model';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import type { Phase } from '@canary-release/backstage-plugin-canary-common';
import type { RolloutRecord } from '../engine/types';

/** What happened, in a title: "demo-shop: 1.2.0 rolled back". */
const TITLES: Partial<Record<Phase, string>> = {
  RolledBack: 'rolled back',
  Failed: 'failed',
  AwaitingApproval: 'awaits approval',
  Succeeded: 'promoted',
  Aborted: 'aborted',
  Paused: 'paused',
};

const SEVERITIES: Partial<Record<Phase, NotificationSeverity>> = {
  RolledBack: 'high',
  Failed: 'high',
  Succeeded: 'low',
};

/**
 * The notification to the owners of the rollout's entity (the notifications backend resolves
 * them) that it entered its current phase. Its scope is the rollout and the phase, so a repeat
 * updates the one notification instead of adding another.
 */
export function notificationFor(
  rollout: RolloutRecord,
  reason: string,
): NotificationSendOptions {
  const entity = parseEntityRef(rollout.entityRef);
  const what = TITLES[rollout.phase] ?? `is ${rollout.phase}`;
  return {
    recipients: { type: 'entity', entityRef: rollout.entityRef },
    payload: {
      title: `${entity.name}: ${rollout.canaryVersion} ${what}`,
      description: reason,
      link: `/catalog/${entity.namespace}/${entity.kind.toLocaleLowerCase(
        'en-US',
      )}/${entity.name}/canary`,
      severity: SEVERITIES[rollout.phase] ?? 'normal',
      topic: 'canary',
      scope: `${rollout.id}/${rollout.phase}`,
    },
  };
}
