import { mockServices } from '@backstage/backend-test-utils';
import type { Phase } from '@canary-release/backstage-plugin-canary-common';
import { makeRollout } from '../engine/testRollout';
import type { AuditEventDraft, RolloutRecord } from '../engine/types';
import { resolveStrategy, strategyInputSchema } from '../strategy/strategy';
import { notificationFor } from './notifications';
import { outboxEntriesFor } from './outbox';
import {
  DEFAULT_NOTIFIED_PHASES,
  HookSettings,
  readHookSettings,
} from './settings';

/** What owners are told, and when; the notification service itself is not involved here. */

const rollout = (phase: Phase, overrides: Partial<RolloutRecord> = {}) =>
  makeRollout({
    phase,
    canaryVersion: '1.2.0',
    revision: 7,
    ...overrides,
  });

function entered(
  r: RolloutRecord,
  from: Phase,
  reason: string,
): AuditEventDraft {
  return {
    rolloutId: r.id,
    entityRef: r.entityRef,
    at: r.updatedAt,
    actor: 'engine',
    action: 'some-event',
    phaseBefore: from,
    phaseAfter: r.phase,
    stageIndex: r.stageIndex,
    weightsAfter: r.weights,
    reason,
    details: {},
  };
}

const settings = (
  notifications: Partial<HookSettings['notifications']> = {},
): HookSettings => ({
  notifications: {
    enabled: true,
    phases: DEFAULT_NOTIFIED_PHASES,
    ...notifications,
  },
  allowedUrlPrefixes: [],
});

describe('notificationFor', () => {
  it.each([
    ['RolledBack', 'demo-shop: 1.2.0 rolled back', 'high'],
    ['Failed', 'demo-shop: 1.2.0 failed', 'high'],
    ['AwaitingApproval', 'demo-shop: 1.2.0 awaits approval', 'normal'],
    ['Succeeded', 'demo-shop: 1.2.0 promoted', 'low'],
    ['Progressing', 'demo-shop: 1.2.0 is Progressing', 'normal'],
  ] as const)('%s: "%s", severity %s', (phase, title, severity) => {
    const r = rollout(phase);
    const reason = 'Canary errors are 8.00 % (limit 5.00 %)';
    expect(notificationFor(r, reason)).toEqual({
      recipients: { type: 'entity', entityRef: 'component:default/demo-shop' },
      payload: {
        title,
        description: reason,
        link: '/catalog/default/component/demo-shop/canary',
        severity,
        topic: 'canary',
        scope: `${r.id}/${phase}`,
      },
    });
  });

  it('links to the Canary tab of entities of any kind and namespace', () => {
    const r = rollout('Failed', { entityRef: 'Resource:payments/Ledger-DB' });
    expect(notificationFor(r, 'x').payload.link).toBe(
      '/catalog/payments/resource/Ledger-DB/canary',
    );
  });
});

describe('outboxEntriesFor', () => {
  const hooks = resolveStrategy(
    makeRollout().strategy,
    strategyInputSchema.parse({
      webhooks: [
        { name: 'chat', type: 'post-rollout', url: 'http://127.0.0.1:1/a' },
        { name: 'pager', type: 'rollback', url: 'http://127.0.0.1:1/b' },
        { name: 'qa', type: 'confirm-promotion', url: 'http://127.0.0.1:1/c' },
      ],
    }),
  );

  const owed = (
    phase: Phase,
    from: Phase,
    s: HookSettings = settings(),
  ): string[] => {
    const r = rollout(phase, { strategy: hooks });
    return outboxEntriesFor(r, [entered(r, from, 'why')], s).map(e => e.key);
  };
  const key = (what: string) => `${makeRollout().id}/r7/${what}`;

  it.each([
    ['RollingBack', 'Progressing', [key('rollback/pager')]],
    [
      'RolledBack',
      'RollingBack',
      [key('notify/RolledBack'), key('post-rollout/chat')],
    ],
    [
      'Succeeded',
      'Promoting',
      [key('notify/Succeeded'), key('post-rollout/chat')],
    ],
    ['Failed', 'Pending', [key('notify/Failed'), key('post-rollout/chat')]],
    ['Aborted', 'RollingBack', [key('post-rollout/chat')]],
    ['AwaitingApproval', 'Progressing', [key('notify/AwaitingApproval')]],
    ['Progressing', 'Pending', []],
  ] as const)('entering %s from %s', (phase, from, keys) => {
    expect(owed(phase, from)).toEqual(keys);
  });

  it('owes nothing for events that are no transition', () => {
    const r = rollout('RolledBack', { strategy: hooks });
    const note = { ...entered(r, 'RolledBack', 'x') };
    expect(outboxEntriesFor(r, [note], settings())).toEqual([]);
  });

  it('follows canary.notifications: off, or other phases', () => {
    expect(
      owed('RolledBack', 'RollingBack', settings({ enabled: false })),
    ).toEqual([key('post-rollout/chat')]);
    expect(
      owed('Progressing', 'Pending', settings({ phases: ['Progressing'] })),
    ).toEqual([key('notify/Progressing')]);
    expect(
      owed('Failed', 'Pending', settings({ phases: ['Progressing'] })),
    ).toEqual([key('post-rollout/chat')]);
  });

  it('carries the reason and the rollout to the webhook payload', () => {
    const r = rollout('RolledBack', { strategy: hooks });
    const [, webhook] = outboxEntriesFor(
      r,
      [entered(r, 'RollingBack', 'All traffic is back on 1.0.0')],
      settings(),
    );
    expect(webhook.effect).toMatchObject({
      kind: 'webhook',
      hook: { name: 'chat' },
      payload: {
        phase: 'RolledBack',
        reason: 'All traffic is back on 1.0.0',
        hook: { name: 'chat', type: 'post-rollout' },
      },
    });
  });
});

describe('readHookSettings', () => {
  const read = (canary: object) =>
    readHookSettings(mockServices.rootConfig({ data: { canary } }));

  it('defaults to notifying on the four phases owners care about, and no launch webhooks', () => {
    expect(read({})).toEqual({
      notifications: {
        enabled: true,
        phases: ['RolledBack', 'Failed', 'AwaitingApproval', 'Succeeded'],
      },
      allowedUrlPrefixes: [],
    });
  });

  it('reads the configured values', () => {
    expect(
      read({
        notifications: { enabled: false, phases: ['Failed'] },
        webhooks: { allowedUrlPrefixes: ['https://hooks.example.com/'] },
      }),
    ).toEqual({
      notifications: { enabled: false, phases: ['Failed'] },
      allowedUrlPrefixes: ['https://hooks.example.com/'],
    });
  });

  it('refuses what it does not understand, saying where', () => {
    expect(() => read({ notifications: { phases: ['Exploded'] } })).toThrow(
      /canary\.notifications in app-config: phases\.0/,
    );
    expect(() =>
      read({ webhooks: { allowedUrlPrefixes: ['file:///etc/'] } }),
    ).toThrow(/canary\.webhooks in app-config: allowedUrlPrefixes\.0/);
  });
});
