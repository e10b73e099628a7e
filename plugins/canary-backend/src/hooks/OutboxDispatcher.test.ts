import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { makeRollout, T0 } from '../engine/testRollout';
import type { AuditEventDraft, RolloutRecord } from '../engine/types';
import { RolloutStore } from '../store/RolloutStore';
import { resolveStrategy, strategyInputSchema } from '../strategy/strategy';
import { HookServer } from './__testUtils__/HookServer';
import { OutboxDispatcher } from './OutboxDispatcher';
import { outboxEntriesFor } from './outbox';
import { DEFAULT_NOTIFIED_PHASES } from './settings';

/**
 * The outbox on SQLite and on a real PostgreSQL: rows written with the save that owes them,
 * delivered by the dispatcher to a real HTTP server and a mocked notification service, outcomes
 * in the audit trail, each row delivered once even by two dispatchers at the same time.
 */

jest.setTimeout(60_000);

const POSTGRES = (process.env.CANARY_TEST_POSTGRES_ID ??
  'POSTGRES_15') as TestDatabaseId;
const databases = TestDatabases.create({ ids: ['SQLITE_3', POSTGRES] });

const SETTINGS = {
  notifications: { enabled: true, phases: DEFAULT_NOTIFIED_PHASES },
  allowedUrlPrefixes: [],
};

let server: HookServer;
beforeAll(async () => {
  server = await HookServer.start();
});
afterAll(() => server.stop());
beforeEach(() => server.reset());

let counter = 0;
function newId() {
  counter += 1;
  return `00000000-0000-4000-9000-${String(counter).padStart(12, '0')}`;
}

/** A rollout with a post-rollout webhook to `path`, saved as RolledBack: it owes a notification and a call. */
async function rolledBack(
  store: RolloutStore,
  path: string,
  hook: { retries?: number; timeout?: string } = {},
): Promise<RolloutRecord> {
  const id = newId();
  const strategy = resolveStrategy(
    makeRollout().strategy,
    strategyInputSchema.parse({
      webhooks: [
        {
          name: 'chat',
          type: 'post-rollout',
          url: `${server.url}${path}`,
          ...hook,
        },
      ],
    }),
  );
  const rollingBack = makeRollout({
    id,
    phase: 'RollingBack',
    stageIndex: 1,
    strategy,
    target: { ...makeRollout().target, name: `svc-${id.slice(-6)}` },
  });
  await store.insert(rollingBack, []);
  const saved: RolloutRecord = {
    ...rollingBack,
    phase: 'RolledBack',
    finishedAt: T0.toISOString(),
    revision: 2,
  };
  const events: AuditEventDraft[] = [
    {
      rolloutId: id,
      entityRef: saved.entityRef,
      at: T0.toISOString(),
      actor: 'engine',
      action: 'rolled-back',
      phaseBefore: 'RollingBack',
      phaseAfter: 'RolledBack',
      stageIndex: 1,
      weightsAfter: saved.weights,
      reason: 'All traffic is back on 1.0.0',
      details: {},
    },
  ];
  await store.save(
    saved,
    events,
    undefined,
    outboxEntriesFor(saved, events, SETTINGS),
  );
  return saved;
}

const notificationsMock = () =>
  ({ send: jest.fn(async () => undefined) } satisfies NotificationService);

async function trailOf(store: RolloutStore, rolloutId: string) {
  return (await store.listAudit({ rolloutId, limit: 100 })).items;
}

describe('the test script provides PostgreSQL', () => {
  it('runs the outbox tests on PostgreSQL in CI', () => {
    const required = Boolean(
      process.env.CANARY_TEST_POSTGRES_ID || process.env.CI,
    );
    expect(databases.supports(POSTGRES) || !required).toBe(true);
  });
});

describe.each(databases.eachSupportedId())('the outbox on %p', databaseId => {
  let knex: Awaited<ReturnType<typeof databases.init>>;
  let store: RolloutStore;
  beforeAll(async () => {
    knex = await databases.init(databaseId);
    store = await RolloutStore.create(mockServices.database({ knex }));
  });

  const dispatcher = (
    notifications: NotificationService = notificationsMock(),
    clock?: () => Date,
  ) =>
    new OutboxDispatcher({
      store,
      notifications,
      logger: mockServices.logger.mock(),
      clock,
    });

  it('delivers what a save owes, and records each outcome in the audit trail', async () => {
    const rollout = await rolledBack(store, '/delivered');
    const notifications = notificationsMock();
    await dispatcher(notifications).dispatch();

    expect(notifications.send).toHaveBeenCalledTimes(1);
    expect(notifications.send).toHaveBeenCalledWith({
      recipients: { type: 'entity', entityRef: rollout.entityRef },
      payload: expect.objectContaining({
        title: 'demo-shop: 1.1.0 rolled back',
        description: 'All traffic is back on 1.0.0',
        severity: 'high',
        scope: `${rollout.id}/RolledBack`,
      }),
    });
    const [call] = server.callsTo('/delivered');
    expect(call.headers['idempotency-key']).toBe(
      `${rollout.id}/r2/post-rollout/chat`,
    );
    expect(call.body).toMatchObject({
      phase: 'RolledBack',
      rolloutId: rollout.id,
    });

    // The two deliveries run at once: their events come in the order they end.
    const trail = await trailOf(store, rollout.id);
    expect(trail[0].action).toBe('rolled-back');
    expect(
      trail
        .slice(1)
        .map(e => e.action)
        .sort(),
    ).toEqual(['notify', 'webhook']);
    const event = (action: string) => trail.find(e => e.action === action);
    expect(event('notify')).toMatchObject({
      actor: 'engine',
      phaseAfter: 'RolledBack',
      reason: `Notified the owners of ${rollout.entityRef}: demo-shop: 1.1.0 rolled back`,
      details: { ok: true, attempts: 1 },
    });
    expect(event('webhook')).toMatchObject({
      reason: 'Webhook "chat" (post-rollout) answered HTTP 200 after 1 attempt',
      details: {
        hook: { name: 'chat', type: 'post-rollout', url: `${server.url}/…` },
        status: 200,
        attempts: 1,
        durationMs: expect.any(Number),
      },
    });
    expect((await store.verifyAudit({ rolloutId: rollout.id })).ok).toBe(true);

    // Delivered is done: the next pass does nothing.
    await dispatcher(notifications).dispatch();
    expect(notifications.send).toHaveBeenCalledTimes(1);
    expect(server.callsTo('/delivered')).toHaveLength(1);
  });

  it('records a failure after the retries, with the status and the error, and does not try again', async () => {
    server.script('/failing', [], 502);
    const failingNotifications = {
      send: jest.fn(async () => {
        throw new Error('notifications backend unavailable');
      }),
    };
    const rollout = await rolledBack(store, '/failing', { retries: 1 });
    await dispatcher(failingNotifications).dispatch();

    const trail = await trailOf(store, rollout.id);
    const notify = trail.find(e => e.action === 'notify')!;
    const webhook = trail.find(e => e.action === 'webhook')!;
    expect(notify.reason).toBe(
      `Could not notify the owners of ${rollout.entityRef} (demo-shop: 1.1.0 rolled back): notifications backend unavailable after 3 attempts`,
    );
    expect(webhook).toMatchObject({
      reason: 'Webhook "chat" (post-rollout) failed: HTTP 502 after 2 attempts',
      details: { ok: false, status: 502, attempts: 2, error: 'HTTP 502' },
    });
    expect(failingNotifications.send).toHaveBeenCalledTimes(3);

    await dispatcher(failingNotifications).dispatch();
    expect(server.callsTo('/failing')).toHaveLength(2);
    expect(failingNotifications.send).toHaveBeenCalledTimes(3);
    const rows = await knex('canary_outbox').where({ rollout_id: rollout.id });
    expect(rows.map(r => r.status).sort()).toEqual(['failed', 'failed']);
  });

  it('delivers again, with the same key, what a dispatcher claimed and never finished', async () => {
    const rollout = await rolledBack(store, '/crashed');
    const now = Date.now();
    const rows = await knex('canary_outbox').where({ rollout_id: rollout.id });
    // A dispatcher claims the rows, delivers the webhook, and dies before recording it.
    for (const row of rows) {
      expect(
        await store.claimOutbox(
          Number(row.id),
          'crashed-token',
          new Date(now),
          new Date(now + 60_000),
        ),
      ).toBe(true);
    }
    // While its claim holds, nobody else delivers.
    await dispatcher(
      notificationsMock(),
      () => new Date(now + 1000),
    ).dispatch();
    expect(server.callsTo('/crashed')).toHaveLength(0);

    const notifications = notificationsMock();
    await dispatcher(notifications, () => new Date(now + 61_000)).dispatch();
    expect(server.callsTo('/crashed')).toHaveLength(1);
    expect(notifications.send).toHaveBeenCalledTimes(1);
    const trail = await trailOf(store, rollout.id);
    expect(trail.filter(e => e.action === 'webhook')).toHaveLength(1);

    // The crashed dispatcher's outcome, should it come back, is not recorded twice.
    expect(
      await store.finishOutbox(
        Number(rows[0].id),
        'crashed-token',
        { ok: true, attempts: 1, durationMs: 1 },
        trail[0],
      ),
    ).toBe(false);
    expect(await trailOf(store, rollout.id)).toHaveLength(trail.length);
  });

  it('gives up on a row whose deliveries keep dying, without delivering it again', async () => {
    const rollout = await rolledBack(store, '/poison');
    const rows = await knex('canary_outbox').where({ rollout_id: rollout.id });
    const past = Date.now() - 1000;
    for (const row of rows) {
      // Five claims, each running out at once.
      for (let i = 0; i < 5; i++) {
        const at = new Date(past + i);
        expect(
          await store.claimOutbox(Number(row.id), `dead-${i}`, at, at),
        ).toBe(true);
      }
    }
    const notifications = notificationsMock();
    await dispatcher(notifications).dispatch();
    expect(server.callsTo('/poison')).toHaveLength(0);
    expect(notifications.send).not.toHaveBeenCalled();
    const webhook = (await trailOf(store, rollout.id)).find(
      e => e.action === 'webhook',
    )!;
    expect(webhook.reason).toContain(
      'given up: claimed 5 times without an outcome',
    );
  });

  it('delivers each row once when two dispatchers run at the same time', async () => {
    server.script('/raced', [], { status: 200, delayMs: 20 });
    const rollouts = [];
    for (let i = 0; i < 12; i++)
      rollouts.push(await rolledBack(store, '/raced'));
    const [a, b] = [notificationsMock(), notificationsMock()];
    await Promise.all([dispatcher(a).dispatch(), dispatcher(b).dispatch()]);

    const keys = server
      .callsTo('/raced')
      .map(call => call.headers['idempotency-key']);
    expect(keys.sort()).toEqual(
      rollouts.map(r => `${r.id}/r2/post-rollout/chat`).sort(),
    );
    const scopes = [...a.send.mock.calls, ...b.send.mock.calls].map(
      ([options]: any) => options.payload.scope,
    );
    expect(scopes.sort()).toEqual(
      rollouts.map(r => `${r.id}/RolledBack`).sort(),
    );
    for (const rollout of rollouts) {
      const actions = (await trailOf(store, rollout.id)).map(e => e.action);
      expect(actions.sort()).toEqual(['notify', 'rolled-back', 'webhook']);
      expect((await store.verifyAudit({ rolloutId: rollout.id })).ok).toBe(
        true,
      );
    }
  });

  it('keeps the hash chain whole when outcomes are appended while the rollout is saved', async () => {
    const rollout = makeRollout({
      id: newId(),
      target: { ...makeRollout().target, name: 'busy' },
    });
    await store.insert(rollout, []);
    const event = (action: string, i: number): AuditEventDraft => ({
      rolloutId: rollout.id,
      entityRef: rollout.entityRef,
      at: new Date(T0.getTime() + i).toISOString(),
      actor: 'engine',
      action,
      phaseAfter: 'Pending',
      stageIndex: -1,
      weightsAfter: rollout.weights,
      reason: `${action} ${i}`,
      details: {},
    });
    const saves = (async () => {
      for (let revision = 2; revision <= 11; revision++) {
        await store.save({ ...rollout, revision }, [event('save', revision)]);
      }
    })();
    const appends = Array.from({ length: 20 }, (_, i) =>
      store.appendEvents([event('append', i)]),
    );
    await Promise.all([saves, ...appends]);
    expect(await store.verifyAudit({ rolloutId: rollout.id })).toMatchObject({
      ok: true,
      complete: true,
      checked: 30,
    });
  });
});
