import {
  BackstageCredentials,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the real backend the action calls
import canaryPlugin from '@canary-release/backstage-plugin-canary-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the in-memory world behind it
import {
  FAST,
  MemoryWorld,
  OVERRIDE_ANY_POLICY,
  SHOP,
  canaryComponent,
  memoryProvidersModule,
  TestScheduler,
} from '@canary-release/backstage-plugin-canary-backend/testUtils';
import { canaryRolloutLaunchPermission } from '@canary-release/backstage-plugin-canary-common';
import { scaffolderModuleCanary } from '../module';
import { DRY_RUN_ROLLOUT_ID, LAUNCH_ACTION_ID } from './launchRollout';

/*
 * The action against the real canary backend plugin (its routes, permission checks, engine and
 * SQLite store), with an in-memory workload, router and metrics behind it, and the real module
 * registering the action on the Scaffolder's extension point.
 */

const APP = 'http://app.test';
const SHOP_TAB = `${APP}/catalog/default/component/shop/canary`;
const ALICE = mockCredentials.user('user:default/alice');

async function start(options: { permissions?: ServiceFactory } = {}) {
  const world = new MemoryWorld();
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  let action: TemplateAction<any, any, any> | undefined;
  const backend = await startTestBackend({
    extensionPoints: [
      [
        scaffolderActionsExtensionPoint,
        {
          addActions: (...actions: TemplateAction<any, any, any>[]) => {
            action = actions.find(a => a.id === LAUNCH_ACTION_ID);
          },
        },
      ],
    ],
    features: [
      canaryPlugin,
      memoryProvidersModule(world),
      catalogServiceMock.factory({ entities: [canaryComponent('shop')] }),
      scheduler.factory(),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: `${APP}/` },
          // Some steps send `strategy: FAST`, which the default policy refuses.
          canary: { presets: { fast: FAST }, policy: OVERRIDE_ANY_POLICY },
        },
      }),
      ...(options.permissions ? [options.permissions] : []),
      scaffolderModuleCanary,
    ],
  });
  if (!action) throw new Error(`${LAUNCH_ACTION_ID} was not registered`);

  /** The canary API as a user who may read everything. */
  const api = async (path: string) => {
    const res = await fetch(
      `http://localhost:${backend.server.port()}/api/canary${path}`,
      { headers: { Authorization: mockCredentials.user.header() } },
    );
    return res.json();
  };
  /** Runs the engine about every 20 ms until the returned function is called. */
  const runEngine = () => {
    const timer = setInterval(
      () => void scheduler.triggerTask('canary-engine-tick'),
      20,
    );
    return () => clearInterval(timer);
  };
  return { world, action, api, runEngine };
}

function context(
  input: Record<string, unknown>,
  extra: {
    isDryRun?: boolean;
    signal?: AbortSignal;
    credentials?: BackstageCredentials;
  } = {},
) {
  const logger = mockServices.logger.mock();
  // createMockActionContext takes only some of the context's fields; the rest are set here.
  const ctx = {
    ...createMockActionContext({ input: input as any, logger }),
    isDryRun: extra.isDryRun,
    signal: extra.signal,
    getInitiatorCredentials: async () => extra.credentials ?? ALICE,
  };
  const outputs = () =>
    Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  const logged = (level: 'info' | 'warn' | 'error') =>
    logger[level].mock.calls.map(call => String(call[0]));
  return { ctx, outputs, logged };
}

describe('canary:rollout:launch', () => {
  it('launches a rollout as the user running the template', async () => {
    const { action, api, world } = await start();
    const { ctx, outputs } = context({
      entityRef: SHOP,
      canaryVersion: '1.1.0',
      preset: '', // what a template renders for an empty optional parameter
      reason: 'from a template',
    });
    await action.handler(ctx);

    const { rolloutId, url, phase } = outputs();
    expect(url).toBe(SHOP_TAB);
    expect(phase).toBe('Pending');
    const stored = await api(`/rollouts/${rolloutId}`);
    expect(stored).toMatchObject({
      id: rolloutId,
      entityRef: SHOP,
      canaryVersion: '1.1.0',
      stableVersion: '1.0.0',
      createdBy: 'user:default/alice',
      reason: 'from a template',
      phase: 'Pending',
    });
    // Not waiting: the action returned before the engine did anything.
    expect(world.calls).toEqual(['getState']);
  });

  it('waits for a healthy rollout to succeed and logs its phases', async () => {
    const { action, world, runEngine } = await start();
    const { ctx, outputs, logged } = context({
      entityRef: SHOP,
      canaryVersion: '1.1.0',
      preset: 'fast',
      waitForCompletion: true,
      pollInterval: 0.02,
    });
    const stop = runEngine();
    try {
      await action.handler(ctx);
    } finally {
      stop();
    }
    expect(outputs()).toMatchObject({ url: SHOP_TAB, phase: 'Succeeded' });
    expect(world.state.stable.version).toBe('1.1.0');
    const info = logged('info');
    expect(info).toContainEqual(
      expect.stringMatching(/Progressing, stage 1\/2 at 10 %/),
    );
    expect(info).toContainEqual(expect.stringMatching(/: Succeeded/));
  });

  it('keeps waiting through failures of the canary backend', async () => {
    let failures = 2;
    const flaky = mockServices.permissions.mock({
      authorize: async requests => {
        if (
          requests[0].permission.name === 'canary.rollout.read' &&
          failures > 0
        ) {
          failures--;
          throw new Error('permission backend restarting');
        }
        return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any;
      },
    });
    const { action, runEngine } = await start({ permissions: flaky.factory });
    const { ctx, outputs, logged } = context({
      entityRef: SHOP,
      canaryVersion: '1.1.0',
      strategy: FAST,
      waitForCompletion: true,
      pollInterval: 0.02,
    });
    const stop = runEngine();
    await action.handler(ctx).finally(stop);
    expect(outputs().phase).toBe('Succeeded');
    expect(logged('warn')).toEqual([
      expect.stringMatching(
        /Cannot read rollout .*\(HTTP 500\); will read it again/,
      ),
      expect.stringMatching(
        /Cannot read rollout .*\(HTTP 500\); will read it again/,
      ),
    ]);
  });

  it('fails the step when the rollout is rolled back, with the reason', async () => {
    const { action, world, runEngine } = await start();
    world.errorRates.canary = 0.3;
    const { ctx, outputs, logged } = context({
      entityRef: SHOP,
      canaryVersion: '1.2.0',
      strategy: FAST,
      waitForCompletion: true,
      pollInterval: 0.02,
    });
    const stop = runEngine();
    const error = await action
      .handler(ctx)
      .catch(e => e)
      .finally(stop);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(
      /of 1\.2\.0 ended RolledBack: Error-rate regressed: canary error-rate is 30 %.*\(rollback by engine\)$/,
    );
    expect(outputs().phase).toBe('RolledBack');
    expect(logged('error')).toContainEqual(
      expect.stringMatching(/ended RolledBack/),
    );
    expect(world.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('stops at its timeout and says the rollout keeps running', async () => {
    const { action, api, runEngine } = await start();
    const { ctx, outputs } = context({
      entityRef: SHOP,
      canaryVersion: '1.1.0', // the default strategy: stages of 30 minutes
      waitForCompletion: true,
      timeout: 0.005,
      pollInterval: 0.05,
    });
    const stop = runEngine();
    const error = await action
      .handler(ctx)
      .catch(e => e)
      .finally(stop);
    expect(error.message).toMatch(
      /is still (Pending|Progressing) after 0\.005 minutes of waiting\. The rollout keeps running: follow it at http:\/\/app\.test\/catalog\/default\/component\/shop\/canary/,
    );
    const rollout = await api(`/rollouts/${outputs().rolloutId}`);
    expect(['Pending', 'Progressing']).toContain(rollout.phase);
  });

  it('stops polling when the task is cancelled', async () => {
    const { action, api } = await start();
    const controller = new AbortController();
    const { ctx, outputs, logged } = context(
      {
        entityRef: SHOP,
        canaryVersion: '1.1.0',
        waitForCompletion: true,
        pollInterval: 600, // without the signal, the step would sleep for ten minutes
      },
      { signal: controller.signal },
    );
    const running = action.handler(ctx).catch(e => e);
    await new Promise(resolve => setTimeout(resolve, 200));
    controller.abort();
    const error = await running;
    expect(error.message).toMatch(
      /Cancelled while waiting for rollout .* keeps running/,
    );
    expect(logged('warn')).toContainEqual(expect.stringMatching(/cancelled/));
    const rollout = await api(`/rollouts/${outputs().rolloutId}`);
    expect(rollout.phase).toBe('Pending');
  });

  it('does not launch anything on a dry run', async () => {
    const { action, api, world } = await start();
    const { ctx, outputs } = context(
      { entityRef: SHOP, canaryVersion: '1.1.0', waitForCompletion: true },
      { isDryRun: true },
    );
    await action.handler(ctx);
    expect(outputs()).toEqual({
      rolloutId: DRY_RUN_ROLLOUT_ID,
      url: SHOP_TAB,
      phase: 'Pending',
    });
    expect((await api('/rollouts')).items).toEqual([]);
    expect(world.calls).toEqual([]);
  });

  it('turns a 403 from the permission policy into a clear error and launches nothing', async () => {
    const launchDenied = mockServices.permissions.mock({
      authorize: async requests =>
        requests.map(r => ({
          result:
            r.permission.name === canaryRolloutLaunchPermission.name
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        })) as any,
    });
    const { action, api } = await start({ permissions: launchDenied.factory });
    const { ctx, outputs } = context({
      entityRef: SHOP,
      canaryVersion: '1.1.0',
    });
    const error = await action.handler(ctx).catch(e => e);
    expect(error.name).toBe('NotAllowedError');
    expect(error.message).toBe(
      `The canary API refused the launch: You are not allowed to change rollouts of ${SHOP} (permission canary.rollout.launch) (HTTP 403)`,
    );
    expect(outputs()).toEqual({});
    expect((await api('/rollouts')).items).toEqual([]);
  });

  it.each([
    [
      'a bad version',
      { entityRef: SHOP, canaryVersion: '1 0' },
      'InputError',
      /refused the launch: Invalid launch request: canaryVersion: must be a version .*\(HTTP 400\)/,
    ],
    [
      'an unknown preset',
      { entityRef: SHOP, canaryVersion: '1.1.0', preset: 'nope' },
      'InputError',
      /Unknown strategy preset "nope" \(configured: fast\) \(HTTP 400\)/,
    ],
    [
      'an entity not in the catalog',
      { entityRef: 'component:default/gone', canaryVersion: '1.1.0' },
      'NotFoundError',
      /component:default\/gone is not in the catalog \(HTTP 404\)/,
    ],
  ])('reports %s with the API message', async (_, input, name, message) => {
    const { action, api } = await start();
    const { ctx } = context(input);
    const error = await action.handler(ctx).catch(e => e);
    expect(error.name).toBe(name);
    expect(error.message).toMatch(message);
    expect((await api('/rollouts')).items).toEqual([]);
  });

  it('reports a second launch on a busy target as a conflict', async () => {
    const { action, api } = await start();
    await action.handler(
      context({ entityRef: SHOP, canaryVersion: '1.1.0' }).ctx,
    );
    const error = await action
      .handler(context({ entityRef: SHOP, canaryVersion: '1.2.0' }).ctx)
      .catch(e => e);
    expect(error.name).toBe('ConflictError');
    expect(error.message).toMatch(
      /already has an active rollout .*\(HTTP 409\)/,
    );
    expect((await api('/rollouts')).items).toHaveLength(1);
  });
});
