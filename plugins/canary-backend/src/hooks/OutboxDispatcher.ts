import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { AuditEventDraft } from '../engine/types';
import type { OutboxRow, RolloutStore } from '../store/RolloutStore';
import { attempts, DeliveryOutcome, worstCaseMs } from './attempts';
import type { OutboxEntry } from './outbox';
import { callWebhook, redactUrl } from './webhooks';

/** Notifications: one try and two more, each waiting this long for the notifications backend. */
const NOTIFY_RETRIES = 2;
const NOTIFY_TIMEOUT_MS = 10_000;
/** Deliveries claimed per pass, and made at once. */
const BATCH = 50;
const CONCURRENCY = 4;
/** A claim outlives the slowest delivery by this much before another dispatcher may take over. */
const LEASE_MARGIN_MS = 30_000;
/** A delivery claimed this often without an outcome (the backend died each time) is given up. */
const MAX_CLAIMS = 5;

/**
 * Delivers the outbox: claims due rows, makes each delivery with its timeout and retries, and
 * records the outcome in the row and, as a `notify` or `webhook` event, in the rollout's audit
 * trail. Claims are leases taken with a conditional update, so dispatchers on several replicas
 * (or two passes that overlap) never deliver a row at the same time; a delivery whose dispatcher
 * died before recording its outcome is made again when the lease runs out: at least once.
 */
export class OutboxDispatcher {
  constructor(
    private readonly deps: {
      store: RolloutStore;
      notifications: NotificationService;
      logger: LoggerService;
      clock?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.clock ? this.deps.clock() : new Date();
  }

  /** One pass over what is due. */
  async dispatch(): Promise<void> {
    const due = await this.deps.store.dueOutbox(this.now(), BATCH);
    const limit = pLimit(CONCURRENCY);
    await Promise.all(due.map(row => limit(() => this.deliverRow(row))));
  }

  private async deliverRow(row: OutboxRow) {
    const { store, logger } = this.deps;
    const token = randomUUID();
    const claimedAt = this.now();
    const until = new Date(claimedAt.getTime() + leaseMs(row.entry));
    if (!(await store.claimOutbox(row.id, token, claimedAt, until))) return;
    const outcome: DeliveryOutcome =
      row.claims >= MAX_CLAIMS
        ? {
            ok: false,
            attempts: 0,
            durationMs: 0,
            error: `given up: claimed ${row.claims} times without an outcome`,
          }
        : await this.deliver(row.entry);
    const recorded = await store.finishOutbox(
      row.id,
      token,
      outcome,
      auditEvent(row.entry, outcome, this.now()),
    );
    if (!recorded) {
      logger.warn(
        `Outbox delivery ${row.entry.key} outlived its claim; another dispatcher took it over`,
      );
    }
  }

  private async deliver(entry: OutboxEntry): Promise<DeliveryOutcome> {
    const { effect } = entry;
    if (effect.kind === 'webhook') {
      return callWebhook(effect.hook, effect.payload, entry.key);
    }
    return attempts(
      { retries: NOTIFY_RETRIES, timeoutMs: NOTIFY_TIMEOUT_MS },
      async () => {
        await this.deps.notifications.send(effect.notification);
        return { ok: true };
      },
    );
  }
}

function leaseMs(entry: OutboxEntry): number {
  const { effect } = entry;
  const worst =
    effect.kind === 'webhook'
      ? worstCaseMs(effect.hook.retries, effect.hook.timeoutMs)
      : worstCaseMs(NOTIFY_RETRIES, NOTIFY_TIMEOUT_MS);
  return worst + LEASE_MARGIN_MS;
}

function attemptsText(outcome: DeliveryOutcome): string {
  return `${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}`;
}

/** The audit event of a delivery's outcome, with its numbers. */
function auditEvent(
  entry: OutboxEntry,
  outcome: DeliveryOutcome,
  at: Date,
): AuditEventDraft {
  const { rollout, effect } = entry;
  const numbers = {
    idempotencyKey: entry.key,
    ok: outcome.ok,
    status: outcome.status,
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    error: outcome.error,
  };
  let action: string;
  let reason: string;
  let details: Record<string, unknown>;
  if (effect.kind === 'webhook') {
    const { name, type, url } = effect.hook;
    const hook = `Webhook "${name}" (${type})`;
    action = 'webhook';
    reason = outcome.ok
      ? `${hook} answered HTTP ${outcome.status} after ${attemptsText(outcome)}`
      : `${hook} failed: ${outcome.error} after ${attemptsText(outcome)}`;
    details = { hook: { name, type, url: redactUrl(url) }, ...numbers };
  } else {
    const { recipients, payload } = effect.notification;
    const whom =
      recipients.type === 'entity'
        ? `the owners of ${[recipients.entityRef].flat().join(', ')}`
        : 'everyone';
    action = 'notify';
    reason = outcome.ok
      ? `Notified ${whom}: ${payload.title}`
      : `Could not notify ${whom} (${payload.title}): ${
          outcome.error
        } after ${attemptsText(outcome)}`;
    details = {
      recipients,
      title: payload.title,
      severity: payload.severity,
      ...numbers,
    };
  }
  return {
    rolloutId: rollout.id,
    entityRef: rollout.entityRef,
    at: at.toISOString(),
    actor: 'engine',
    action,
    phaseBefore: rollout.phase,
    phaseAfter: rollout.phase,
    stageIndex: rollout.stageIndex,
    weightsBefore: rollout.weights,
    weightsAfter: rollout.weights,
    reason,
    details,
  };
}
