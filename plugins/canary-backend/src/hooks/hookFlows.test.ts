import { createServiceFactory } from '@backstage/backend-plugin-api';
import { notificationService } from '@backstage/plugin-notifications-node';
import request from 'supertest';
import {
  canaryComponent,
  FAST,
  SHOP,
  startBackend as startBackendOnMemoryWorld,
} from '../__testUtils__/testBackend';
import { HookServer } from './__testUtils__/HookServer';

/**
 * Webhooks and notifications through the routes and the scheduled tasks, as the backend runs them:
 * real webhook receivers on loopback, the notification service mocked.
 */

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

let hooks: HookServer;
beforeAll(async () => {
  hooks = await HookServer.start();
});
afterAll(() => hooks.stop());
beforeEach(() => hooks.reset());

async function startBackend(canary: object) {
  const send = jest.fn(async (_options: unknown) => undefined);
  const { server, world, tick, triggerTask } = await startBackendOnMemoryWorld({
    entities: [canaryComponent('shop')],
    config: { canary },
    features: [
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send }),
      }),
    ],
  });
  const get = async (id: string) =>
    (await request(server).get(`/api/canary/rollouts/${id}`).expect(200)).body;
  /** Ticks until `done` holds for the rollout (or 100 ticks pass); returns the rollout. */
  const tickUntil = async (id: string, done: (rollout: any) => boolean) => {
    let rollout = await get(id);
    for (let i = 0; i < 100 && !done(rollout); i++) {
      await tick();
      rollout = await get(id);
      if (!done(rollout)) await sleep(30);
    }
    return rollout;
  };
  const audit = async (id: string) =>
    (await request(server).get(`/api/canary/audit?rolloutId=${id}`).expect(200))
      .body.items as any[];
  const launch = (body: object) =>
    request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', ...body });
  return {
    server,
    world,
    send,
    get,
    tickUntil,
    audit,
    launch,
    dispatch: () => triggerTask('canary-outbox-dispatch'),
  };
}

describe('webhooks in launch requests', () => {
  it('are refused unless the backend allows their URL prefix', async () => {
    const closed = await startBackend({});
    const refused = await closed
      .launch({
        strategy: {
          webhooks: [
            { name: 'mine', type: 'post-rollout', url: `${hooks.url}/x` },
          ],
        },
      })
      .expect(400);
    expect(refused.body.error.message).toContain(
      'accepts no webhooks in launch requests',
    );

    const open = await startBackend({
      webhooks: { allowedUrlPrefixes: [`${hooks.url}/allowed/`] },
    });
    const outside = await open
      .launch({
        strategy: {
          webhooks: [
            {
              name: 'meta',
              type: 'rollback',
              url: 'http://169.254.169.254/latest/meta-data',
            },
          ],
        },
      })
      .expect(400);
    expect(outside.body.error.message).toContain(
      `strategy.webhooks.0.url: must start with one of ${hooks.url}/allowed/`,
    );
    const malformed = await open
      .launch({
        strategy: {
          webhooks: [
            { name: 'x', type: 'later', url: 'ftp://host/x', retries: 99 },
          ],
        },
      })
      .expect(400);
    expect(malformed.body.error.message).toMatch(
      /webhooks\.0\.type.*webhooks\.0\.url: must be an http\(s\) URL.*webhooks\.0\.retries/,
    );
    for (const backend of [closed, open]) {
      const list = await request(backend.server)
        .get('/api/canary/rollouts')
        .expect(200);
      expect(list.body.items).toEqual([]);
    }

    const accepted = await open
      .launch({
        strategy: {
          webhooks: [
            {
              name: 'mine',
              type: 'post-rollout',
              url: `${hooks.url}/allowed/secret-token`,
              timeout: '2s',
            },
          ],
        },
      })
      .expect(201);
    // Readers of the rollout do not see the URL's path, which may be a secret.
    expect(accepted.body.strategy.webhooks).toEqual([
      {
        name: 'mine',
        type: 'post-rollout',
        url: `${hooks.url}/…`,
        timeoutMs: 2000,
        retries: 2,
      },
    ]);
    const [launchEvent] = await open.audit(accepted.body.id);
    expect(JSON.stringify(launchEvent)).not.toContain('secret-token');
  });
});

describe('gating webhooks from the configuration', () => {
  it('fails a rollout whose pre-rollout webhook fails, before any traffic moves, and tells owners and post-rollout webhooks', async () => {
    hooks.script('/smoke', [], 500);
    const backend = await startBackend({
      defaults: {
        webhooks: [
          {
            name: 'smoke',
            type: 'pre-rollout',
            url: `${hooks.url}/smoke`,
            retries: 1,
          },
          { name: 'chat', type: 'post-rollout', url: `${hooks.url}/chat` },
        ],
      },
    });
    const { id } = (await backend.launch({ strategy: FAST }).expect(201)).body;
    const rollout = await backend.tickUntil(id, r => r.phase !== 'Pending');
    expect(rollout).toMatchObject({
      phase: 'Failed',
      stageIndex: -1,
      weights: { stable: 100, canary: 0 },
      message:
        'Pre-rollout webhook "smoke" (HTTP 500 after 2 attempts): no traffic was moved',
    });
    expect(hooks.callsTo('/smoke')).toHaveLength(2);
    expect(hooks.callsTo('/smoke')[0].body).toMatchObject({
      rolloutId: id,
      phase: 'Pending',
      reason: 'Starting: 10 % of traffic to 1.1.0',
      hook: { name: 'smoke', type: 'pre-rollout' },
    });
    expect(
      backend.world.calls.filter(c => /deployCanary|setWeights/.test(c)),
    ).toEqual([]);

    // The failure is owed to the owners and the post-rollout webhook; the dispatcher delivers.
    expect(backend.send).not.toHaveBeenCalled();
    await backend.dispatch();
    expect(backend.send).toHaveBeenCalledWith({
      recipients: { type: 'entity', entityRef: SHOP },
      payload: expect.objectContaining({
        title: 'shop: 1.1.0 failed',
        description: rollout.message,
        severity: 'high',
        link: '/catalog/default/component/shop/canary',
      }),
    });
    expect(hooks.callsTo('/chat').map(c => c.body.phase)).toEqual(['Failed']);
    const actions = (await backend.audit(id)).map(e => e.action);
    expect(actions.slice(0, 2)).toEqual(['launch', 'fail']);
    expect(actions.slice(2).sort()).toEqual(['notify', 'webhook']);
  });

  it('holds a passed stage while a confirm-promotion webhook refuses, and goes on once it answers 2xx', async () => {
    hooks.script('/qa', [], 503);
    const backend = await startBackend({
      defaults: {
        webhooks: [
          {
            name: 'qa',
            type: 'confirm-promotion',
            url: `${hooks.url}/qa`,
            retries: 0,
          },
        ],
      },
    });
    const { id } = (await backend.launch({ strategy: FAST }).expect(201)).body;
    let rollout = await backend.tickUntil(
      id,
      r =>
        hooks.callsTo('/qa').length >= 3 ||
        !['Pending', 'Progressing'].includes(r.phase),
    );
    expect(rollout).toMatchObject({
      phase: 'Progressing',
      stageIndex: 0,
      message:
        'Stage 1 (10 %) passed: moving to 50 %; waiting for confirm-promotion webhook "qa" (HTTP 503 after 1 attempt)',
      promotionGate: { stageIndex: 0, refusedBy: ['qa'] },
    });
    const asks = hooks.callsTo('/qa');
    expect(asks[0].body).toMatchObject({
      phase: 'Progressing',
      stageIndex: 0,
      weights: { stable: 90, canary: 10 },
      reason: 'Stage 1 (10 %) passed: moving to 50 %',
      hook: { name: 'qa', type: 'confirm-promotion' },
    });
    expect(asks[0].body.verdicts.length).toBeGreaterThan(0);
    // Each ask is a new question: a new key.
    const keys = new Set(asks.map(a => a.headers['idempotency-key']));
    expect(keys.size).toBe(asks.length);

    hooks.script('/qa', [], 200);
    rollout = await backend.tickUntil(id, r => r.phase === 'Succeeded');
    expect(rollout.phase).toBe('Succeeded');
    const actions = (await backend.audit(id)).map(e => e.action);
    // One refusal recorded however often it was repeated, then a confirmation per stage.
    expect(actions).toEqual([
      'launch',
      'start',
      'traffic-shifted',
      'gate-refused',
      'gate-confirmed',
      'advance',
      'traffic-shifted',
      'gate-confirmed',
      'complete',
      'promoted',
    ]);
  });
});

describe('notifications and webhooks that only tell', () => {
  it('tells owners and the rollback webhook of a rollback, and post-rollout webhooks of its end', async () => {
    const backend = await startBackend({
      defaults: {
        webhooks: [
          { name: 'pager', type: 'rollback', url: `${hooks.url}/pager` },
          { name: 'chat', type: 'post-rollout', url: `${hooks.url}/chat` },
        ],
      },
    });
    backend.world.errorRates.canary = 0.3;
    const { id } = (
      await backend
        .launch({ canaryVersion: '1.2.0', strategy: FAST })
        .expect(201)
    ).body;
    const rollout = await backend.tickUntil(id, r => r.phase === 'RolledBack');
    expect(rollout.phase).toBe('RolledBack');
    await backend.dispatch();

    expect(hooks.callsTo('/pager').map(c => c.body.phase)).toEqual([
      'RollingBack',
    ]);
    expect(hooks.callsTo('/pager')[0].body.reason).toContain(
      'canary error-rate is 30 %',
    );
    expect(hooks.callsTo('/chat').map(c => c.body.phase)).toEqual([
      'RolledBack',
    ]);
    // Owners hear of the end of the rollback, not of each step on the way.
    expect(backend.send).toHaveBeenCalledTimes(1);
    expect(backend.send.mock.calls[0][0]).toMatchObject({
      recipients: { type: 'entity', entityRef: SHOP },
      payload: {
        title: 'shop: 1.2.0 rolled back',
        severity: 'high',
        topic: 'canary',
        scope: `${id}/RolledBack`,
      },
    });
    const outcomes = (await backend.audit(id)).filter(e =>
      ['notify', 'webhook'].includes(e.action),
    );
    expect(outcomes.map(e => e.details.ok)).toEqual([true, true, true]);
  });

  it('notifies only the configured phases, and not at all when switched off', async () => {
    const quiet = await startBackend({ notifications: { enabled: false } });
    const succeeded = (await quiet.launch({ strategy: FAST }).expect(201)).body;
    await quiet.tickUntil(succeeded.id, r => r.phase === 'Succeeded');
    await quiet.dispatch();
    expect(quiet.send).not.toHaveBeenCalled();

    const chatty = await startBackend({
      notifications: { phases: ['Progressing', 'Succeeded'] },
    });
    const { id } = (await chatty.launch({ strategy: FAST }).expect(201)).body;
    await chatty.tickUntil(id, r => r.phase === 'Succeeded');
    await chatty.dispatch();
    const titles = chatty.send.mock.calls.map(([o]: any) => o.payload.title);
    // Entering a phase, not moving on within it: one Progressing for both stages.
    expect(titles.sort()).toEqual([
      'shop: 1.1.0 is Progressing',
      'shop: 1.1.0 promoted',
    ]);
  });
});
