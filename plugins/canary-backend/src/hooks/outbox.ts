import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  Webhook,
  WebhookType,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import type { AuditEventDraft, RolloutRecord } from '../engine/types';
import { notificationFor } from './notifications';
import type { HookSettings } from './settings';
import { idempotencyKey, webhookPayload, WebhookPayload } from './webhooks';

/**
 * The transactional outbox: what a saved change owes the outside world (notifications, webhooks
 * that only tell), written in the same transaction as the change, and delivered afterwards by the
 * dispatcher. A crash between the two loses nothing; a crash during a delivery repeats it.
 */

export type OutboxEffect =
  | { kind: 'notify'; notification: NotificationSendOptions }
  | { kind: 'webhook'; hook: Webhook; payload: WebhookPayload };

/** One delivery, before the store gives it an id. */
export interface OutboxEntry {
  /** Unique; sent as the Idempotency-Key. */
  key: string;
  /** The rollout as it was when the delivery was owed, for the audit event of its outcome. */
  rollout: Pick<
    RolloutRecord,
    'id' | 'entityRef' | 'phase' | 'stageIndex' | 'weights'
  >;
  effect: OutboxEffect;
}

/** When a phase is entered, the webhooks of this type are called. */
function webhookTypeOnEntering(
  phase: RolloutRecord['phase'],
): WebhookType | undefined {
  if (phase === 'RollingBack') return 'rollback';
  if (isFinalPhase(phase)) return 'post-rollout';
  return undefined;
}

/** What a save of `rollout` (its revision bumped) with `events` owes. */
export function outboxEntriesFor(
  rollout: RolloutRecord,
  events: AuditEventDraft[],
  settings: HookSettings,
): OutboxEntry[] {
  const { id, entityRef, phase, stageIndex, weights } = rollout;
  const entry = (what: string, name: string, effect: OutboxEffect) => ({
    key: idempotencyKey(rollout, what, name),
    rollout: { id, entityRef, phase, stageIndex, weights },
    effect,
  });
  // A decision makes at most one transition; its reason says why.
  const transition = events.find(
    e => e.phaseAfter === phase && e.phaseBefore !== e.phaseAfter,
  );
  if (!transition) return [];
  const entries: OutboxEntry[] = [];
  const { enabled, phases } = settings.notifications;
  if (enabled && phases.includes(phase)) {
    entries.push(
      entry('notify', phase, {
        kind: 'notify',
        notification: notificationFor(rollout, transition.reason),
      }),
    );
  }
  const type = webhookTypeOnEntering(phase);
  for (const hook of rollout.strategy.webhooks ?? []) {
    if (hook.type !== type) continue;
    entries.push(
      entry(hook.type, hook.name, {
        kind: 'webhook',
        hook,
        payload: webhookPayload(rollout, hook, transition.reason),
      }),
    );
  }
  return entries;
}
