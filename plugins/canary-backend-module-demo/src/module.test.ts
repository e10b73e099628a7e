import { NotFoundError } from '@backstage/errors';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import {
  canaryProvidersExtensionPoint,
  CanaryProvidersExtensionPoint,
  MetricsProvider,
  TrafficRouter,
  WorkloadController,
} from '@canary-release/backstage-plugin-canary-node';
import {
  activeHandles,
  closedPort,
  sleep,
  waitFor,
} from './__testUtils__/http';
import { canaryModuleDemo } from './module';

/** Collects what the module registers, as the canary plugin's extension point would. */
function fakeExtensionPoint() {
  const registered = {
    routers: new Map<string, TrafficRouter>(),
    metrics: new Map<string, MetricsProvider>(),
    workloads: new Map<string, WorkloadController>(),
  };
  const extensionPoint: CanaryProvidersExtensionPoint = {
    addTrafficRouter: (kind, router) => registered.routers.set(kind, router),
    addMetricsProvider: (kind, provider) =>
      registered.metrics.set(kind, provider),
    addWorkloadController: (kind, controller) =>
      registered.workloads.set(kind, controller),
  };
  return { registered, extensionPoint };
}

function target(namespace: string, name: string): RolloutTarget {
  return { namespace, name, router: 'demo', metrics: 'demo', workload: 'demo' };
}

async function startBackend(config: object) {
  const { registered, extensionPoint } = fakeExtensionPoint();
  const backend = await startTestBackend({
    extensionPoints: [[canaryProvidersExtensionPoint, extensionPoint]],
    features: [
      canaryModuleDemo,
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return { backend, registered };
}

describe('canaryModuleDemo', () => {
  it('registers demo providers that drive a real workload, and closes it at shutdown', async () => {
    await sleep(20);
    const before = activeHandles();
    const { backend, registered } = await startBackend({
      canary: {
        demo: {
          requestsPerSecond: 400,
          startupDelayMs: 50,
          workloads: [{ name: 'shop', namespace: 'team-a' }],
        },
      },
    });
    const shop = target('team-a', 'shop');
    expect([...registered.routers.keys()]).toEqual(['demo']);
    expect([...registered.workloads.keys()]).toEqual(['demo']);
    expect([...registered.metrics.keys()]).toEqual(['demo']);
    const router = registered.routers.get('demo')!;
    const controller = registered.workloads.get('demo')!;
    const metrics = registered.metrics.get('demo')!;
    // The test backend's own HTTP server, the stable server and the router.
    expect(activeHandles().servers).toBe(before.servers + 3);

    expect(await controller.getState(shop)).toEqual({
      stable: { version: '1.0.0', ready: true },
    });
    expect(await router.getWeights(shop)).toEqual({ stable: 100, canary: 0 });

    await controller.deployCanary(shop, '1.2.0', 50);
    await waitFor(
      async () => (await controller.getState(shop)).canary?.ready === true,
    );
    await router.setWeights(shop, { stable: 50, canary: 50 });
    await expect(
      router.setWeights(shop, { stable: 50, canary: 60 }),
    ).rejects.toThrow(/add up to 100/);
    expect(await router.getWeights(shop)).toEqual({ stable: 50, canary: 50 });

    const window = { start: new Date(), end: new Date(Date.now() + 2000) };
    await sleep(2100);
    const baseline = await metrics.sample(shop, 'baseline', window);
    const canary = await metrics.sample(shop, 'canary', window);
    // About 400 requests per arm; far fewer only when the machine starves the load generator.
    expect(baseline.requests).toBeGreaterThan(80);
    expect(canary.requests).toBeGreaterThan(80);

    await controller.setStableVersion(shop, '1.2.0');
    expect((await controller.getState(shop)).stable).toEqual({
      version: '1.2.0',
      ready: false,
    });
    await router.setWeights(shop, { stable: 100, canary: 0 });
    await controller.removeCanary(shop);
    expect((await controller.getState(shop)).canary).toBeUndefined();

    await backend.stop();
    await sleep(20);
    const after = activeHandles();
    expect(after.servers).toBe(before.servers);
    expect(after.sockets).toBe(before.sockets);
    // The test backend may drop timers of its own; ours (readiness, load) must all be gone.
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });

  it('throws NotFoundError for a target that is not a demo workload', async () => {
    const { backend, registered } = await startBackend({
      canary: { demo: { requestsPerSecond: 0 } },
    });
    const other = target('default', 'checkout');
    const router = registered.routers.get('demo')!;
    const controller = registered.workloads.get('demo')!;
    const metrics = registered.metrics.get('demo')!;
    const window = { start: new Date(Date.now() - 1000), end: new Date() };
    for (const call of [
      router.getWeights(other),
      router.setWeights(other, { stable: 100, canary: 0 }),
      controller.getState(other),
      controller.deployCanary(other, '1.1.0', 5),
      controller.removeCanary(other),
      controller.setStableVersion(other, '1.1.0'),
      metrics.sample(other, 'canary', window),
    ]) {
      await expect(call).rejects.toThrow(NotFoundError);
    }
    await expect(
      controller.getState(target('team-a', 'demo-shop')),
    ).rejects.toThrow(
      /No demo workload team-a\/demo-shop; the demo runs default\/demo-shop/,
    );
    // The default workload: demo-shop in default.
    await expect(
      controller.getState(target('default', 'demo-shop')),
    ).resolves.toEqual({ stable: { version: '1.0.0', ready: true } });
    await expect(
      controller.deployCanary(target('default', 'demo-shop'), ' ', 5),
    ).rejects.toThrow(/Invalid version/);
    await backend.stop();
  });

  it('serves its world with worldApi, and a backend with remote acts on that world only', async () => {
    const port = await closedPort();
    const serving = await startBackend({
      canary: {
        demo: { requestsPerSecond: 0, startupDelayMs: 0, worldApi: { port } },
      },
    });
    await sleep(20);
    const before = activeHandles();
    const remote = await startBackend({
      canary: { demo: { remote: `http://127.0.0.1:${port}` } },
    });
    // Only the second test backend's own HTTP server: no workload of its own.
    expect(activeHandles().servers).toBe(before.servers + 1);

    const shop = target('default', 'demo-shop');
    await remote.registered.workloads
      .get('demo')!
      .deployCanary(shop, '1.1.0', 30);
    await remote.registered.routers
      .get('demo')!
      .setWeights(shop, { stable: 70, canary: 30 });
    const { items } = await (
      await fetch(`http://127.0.0.1:${port}/workloads`)
    ).json();
    expect(items).toEqual([
      expect.objectContaining({
        namespace: 'default',
        name: 'demo-shop',
        weights: { stable: 70, canary: 30 },
        state: {
          stable: { version: '1.0.0', ready: true },
          canary: { version: '1.1.0', ready: true },
        },
      }),
    ]);
    expect(
      await serving.registered.routers.get('demo')!.getWeights(shop),
    ).toEqual({ stable: 70, canary: 30 });

    await remote.backend.stop();
    await serving.backend.stop();
    await expect(fetch(`http://127.0.0.1:${port}/workloads`)).rejects.toThrow();
  });

  it.each([
    ['without canary.demo', {}],
    [
      'with canary.demo.enabled false',
      { canary: { demo: { enabled: false } } },
    ],
  ])('registers nothing and starts nothing %s', async (_, config) => {
    await sleep(20);
    const before = activeHandles();
    const { backend, registered } = await startBackend(config);
    expect(registered.routers.size).toBe(0);
    expect(registered.workloads.size).toBe(0);
    expect(registered.metrics.size).toBe(0);
    // Only the test backend's own HTTP server.
    expect(activeHandles().servers).toBe(before.servers + 1);
    await backend.stop();
  });
});
