import { InputError } from '@backstage/errors';
import type {
  MetricVerdict,
  Phase,
  Strategy,
  Webhook,
  WebhookType,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type { HookOutcome, RolloutRecord } from '../engine/types';
import type { StrategyInput } from '../strategy/strategy';
import { AttemptResult, attempts } from './attempts';

/**
 * Webhooks, like Flagger's: a POST of the rollout's state as JSON. Delivery is at least once: a
 * call is retried after a timeout, a lost connection, 408, 429 or 5xx, and a backend that crashed
 * mid-delivery delivers again. The `Idempotency-Key` header is the same for every repeat of one
 * call, so receivers can drop the repeats.
 */

/** The JSON body of every webhook call. */
export interface WebhookPayload {
  rolloutId: string;
  entityRef: string;
  phase: Phase;
  stageIndex: number;
  canaryVersion: string;
  stableVersion: string;
  weights: Weights;
  /** The verdicts of the latest look. */
  verdicts: MetricVerdict[];
  /** Why the rollout is where it is. */
  reason: string;
  hook: { name: string; type: WebhookType };
  metadata: Record<string, string>;
}

export function webhookPayload(
  rollout: RolloutRecord,
  hook: Webhook,
  reason: string,
): WebhookPayload {
  return {
    rolloutId: rollout.id,
    entityRef: rollout.entityRef,
    phase: rollout.phase,
    stageIndex: rollout.stageIndex,
    canaryVersion: rollout.canaryVersion,
    stableVersion: rollout.stableVersion,
    weights: rollout.weights,
    verdicts: rollout.analysis.latestVerdicts,
    reason,
    hook: { name: hook.name, type: hook.type },
    metadata: hook.metadata ?? {},
  };
}

/** The key of one call: every repeat of it (a retry, a redelivery) sends the same. */
export function idempotencyKey(
  rollout: RolloutRecord,
  what: string,
  name: string,
): string {
  return `${rollout.id}/r${rollout.revision}/${what}/${name}`;
}

/** Calls a webhook with its timeout and retries. Redirects are not followed: they are failures. */
export async function callWebhook(
  hook: Webhook,
  payload: WebhookPayload,
  key: string,
): Promise<HookOutcome> {
  const body = JSON.stringify(payload);
  const outcome = await attempts(
    hook,
    async (signal): Promise<AttemptResult> => {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': key,
          'User-Agent': 'backstage-canary',
        },
        body,
        redirect: 'manual',
        signal,
      });
      // Only the status matters: drop the body unread, however large it is.
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true, status: res.status };
      return {
        ok: false,
        status: res.status,
        retry: res.status >= 500 || res.status === 408 || res.status === 429,
        error: `HTTP ${res.status}`,
      };
    },
  );
  return { name: hook.name, ...outcome };
}

/** The URL without its path and query, which may hold a secret (a Slack hook's, say). */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname === '/' && !parsed.search
    ? parsed.origin
    : `${parsed.origin}/…`;
}

/** A strategy as readers of a rollout see it: webhook URLs redacted. */
export function publicStrategy(strategy: Strategy): Strategy {
  if (!strategy.webhooks?.length) return strategy;
  return {
    ...strategy,
    webhooks: strategy.webhooks.map(hook => ({
      ...hook,
      url: redactUrl(hook.url),
    })),
  };
}

/** Whether `url` is under one of `prefixes`: same origin, and a path that starts with theirs. */
export function isAllowedWebhookUrl(url: string, prefixes: string[]): boolean {
  const target = new URL(url);
  return prefixes.some(prefix => {
    const allowed = new URL(prefix);
    return (
      target.origin === allowed.origin &&
      target.pathname.startsWith(allowed.pathname)
    );
  });
}

/**
 * The guard against server-side request forgery: a launch request may add webhooks only to URLs
 * under `canary.webhooks.allowedUrlPrefixes`, and may not replace a configured webhook (that
 * could switch off a gate the platform team set up). Configured webhooks are trusted.
 */
export function checkLaunchWebhooks(
  input: StrategyInput | undefined,
  base: Strategy,
  allowedUrlPrefixes: string[],
): void {
  const hooks = input?.webhooks ?? [];
  if (hooks.length === 0) return;
  if (allowedUrlPrefixes.length === 0) {
    throw new InputError(
      'Invalid launch request: strategy.webhooks: this backend accepts no webhooks in launch requests (canary.webhooks.allowedUrlPrefixes is empty); configure them in canary.defaults or a preset',
    );
  }
  const configured = new Set((base.webhooks ?? []).map(hook => hook.name));
  const problems = hooks.flatMap((hook, i) => [
    ...(configured.has(hook.name)
      ? [
          `strategy.webhooks.${i}.name: "${hook.name}" is a configured webhook; a launch request cannot replace it`,
        ]
      : []),
    ...(isAllowedWebhookUrl(hook.url, allowedUrlPrefixes)
      ? []
      : [
          `strategy.webhooks.${i}.url: must start with one of ${allowedUrlPrefixes.join(
            ', ',
          )}`,
        ]),
  ]);
  if (problems.length > 0) {
    throw new InputError(`Invalid launch request: ${problems.join('; ')}`);
  }
}
