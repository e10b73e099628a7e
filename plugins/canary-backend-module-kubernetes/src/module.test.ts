import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  CanaryProvidersExtensionPoint,
  TrafficRouter,
  WorkloadController,
  canaryProvidersExtensionPoint,
} from '@canary-release/backstage-plugin-canary-node';
import {
  OWNED_BY_TEST_ENTITY,
  TEST_ENTITY,
  TestCluster,
  allowing,
  createNamespace,
  createObject,
  markRolledOut,
  moduleConfig,
  stableDeployment,
  testServers,
} from './__testUtils__/testClusters';
import { DEPLOYMENTS, HTTP_ROUTES } from './kube/resources';
import { canaryModuleKubernetes } from './module';

/** Collects what the module registers, as the canary plugin's extension point would. */
function fakeExtensionPoint() {
  const routers = new Map<string, TrafficRouter>();
  const workloads = new Map<string, WorkloadController>();
  const metrics = new Map<string, unknown>();
  const extensionPoint: CanaryProvidersExtensionPoint = {
    addTrafficRouter: (kind, router) => routers.set(kind, router),
    addWorkloadController: (kind, controller) =>
      workloads.set(kind, controller),
    addMetricsProvider: (kind, provider) => metrics.set(kind, provider),
  };
  return { routers, workloads, metrics, extensionPoint };
}

async function start(config: object) {
  const registered = fakeExtensionPoint();
  const backend = await startTestBackend({
    extensionPoints: [
      [canaryProvidersExtensionPoint, registered.extensionPoint],
    ],
    features: [
      canaryModuleKubernetes,
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return { backend, ...registered };
}

describe('canaryModuleKubernetes', () => {
  it('registers nothing when no cluster is configured (the app-config of `yarn start`)', async () => {
    const { backend, routers, workloads, metrics } = await start({
      kubernetes: null,
    });
    expect(routers.size + workloads.size + metrics.size).toBe(0);
    await backend.stop();
  });

  it('fails the backend’s startup on invalid config, naming the key', async () => {
    await expect(
      start({
        canary: {
          kubernetes: { routing: { requestMatches: [{ userAgent: {} }] } },
        },
      }),
    ).rejects.toThrow(
      'Invalid config canary.kubernetes.routing.requestMatches[0].userAgent: needs regex',
    );
  });

  describe.each(testServers)('with a cluster (%s)', (_, startCluster) => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster();
    }, 30_000);
    afterAll(() => cluster.close());

    it('registers the istio and gateway-api routers and the kubernetes workload controller, which reach the cluster', async () => {
      const namespace = await createNamespace(cluster);
      await createObject(
        cluster,
        DEPLOYMENTS,
        namespace,
        stableDeployment('shop', 'registry.example/shop:2.0.0', 2),
      );
      await markRolledOut(cluster, namespace, 'shop');
      await createObject(cluster, HTTP_ROUTES, namespace, {
        metadata: { name: 'shop-route', labels: OWNED_BY_TEST_ENTITY },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: 'shop', weight: 70 },
                { name: 'shop-canary', weight: 30 },
              ],
            },
          ],
        },
      });
      const { backend, routers, workloads, metrics } = await start(
        moduleConfig(cluster, {}, allowing(namespace)),
      );
      expect([...routers.keys()]).toEqual(['istio', 'gateway-api']);
      expect([...workloads.keys()]).toEqual(['kubernetes']);
      expect(metrics.size).toBe(0);
      const target = {
        namespace,
        name: 'shop',
        router: 'gateway-api',
        routerObject: 'shop-route',
        metrics: 'prometheus',
        workload: 'kubernetes',
        entityRef: TEST_ENTITY,
      };
      await expect(
        routers.get('gateway-api')!.checkTarget!(target),
      ).resolves.toBeUndefined();
      await expect(
        workloads.get('kubernetes')!.checkTarget!(target),
      ).resolves.toBeUndefined();
      await expect(
        routers.get('gateway-api')!.getWeights(target),
      ).resolves.toEqual({ stable: 70, canary: 30 });
      await expect(
        workloads.get('kubernetes')!.getState(target),
      ).resolves.toEqual({
        stable: { version: '2.0.0', ready: true },
      });
      await backend.stop();
    });
  });
});
