import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The module's tests run it inside the canary backend plugin, as a backend does.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import canaryBackend from '@canary-release/backstage-plugin-canary-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  OVERRIDE_ANY_POLICY,
  type TestScheduler,
} from '@canary-release/backstage-plugin-canary-backend/testUtils';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import type { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import request from 'supertest';
import { DEPLOYMENTS, Deployment, virtualServices } from '../kube/resources';
import { canaryModuleKubernetes } from '../module';
import {
  OWNED_BY_TEST_ENTITY,
  TEST_ENTITY,
  TestCluster,
  allowing,
  createNamespace,
  createObject,
  findObject,
  markRolledOut,
  moduleConfig,
  readObject,
  stableDeployment,
} from './testClusters';

/**
 * The canary engine driving a cluster through this module, for the end-to-end suites: the canary
 * backend plugin, the module, a mock catalog with an entity annotated for istio + kubernetes in a
 * fresh namespace, and an in-memory metrics provider whose canary error rate the test sets. The
 * module reaches the API server through a FaultProxy; the test reads and writes the cluster
 * directly, and, as there is no Deployment controller, reports Deployments rolled out between
 * engine ticks as their controller would.
 */

const VS = virtualServices('v1');

/** Two stages of half a second, a look every 200 ms. */
const COMPRESSED = {
  stages: [
    { weight: 10, minDuration: '500ms', maxDuration: '20s' },
    { weight: 50, minDuration: '500ms', maxDuration: '20s' },
  ],
  analysis: {
    interval: '200ms',
    metrics: [
      {
        name: 'error-rate',
        kind: 'proportion',
        margin: 0.02,
        maxRate: 0.05,
        critical: true,
      },
    ],
    minRequestsPerLook: 10,
    minRequestsPerStage: 50,
  },
};

/**
 * A metrics provider in memory: 10000 requests per look, split between the arms as the
 * VirtualService's weights say (read from the cluster), with the canary's errors at
 * `metrics.canaryErrorRate` and none on stable, and the same latency for both.
 */
function memoryMetricsModule(
  metrics: { canaryErrorRate: number },
  weights: () => Promise<number[]>,
) {
  return createBackendModule({
    pluginId: 'canary',
    moduleId: 'memory-metrics',
    register(reg) {
      reg.registerInit({
        deps: { providers: canaryProvidersExtensionPoint },
        async init({ providers }) {
          providers.addMetricsProvider('memory', {
            async sample(_target, arm) {
              const [, canaryWeight] = await weights();
              const canaryRequests = 100 * canaryWeight;
              const requests =
                arm === 'canary' ? canaryRequests : 10_000 - canaryRequests;
              const rate = arm === 'canary' ? metrics.canaryErrorRate : 0;
              // Latency: half under 50 ms, 40 % under 100 ms, the rest under 250 ms.
              const half = Math.round(requests / 2);
              const most = Math.round(requests * 0.4);
              return {
                requests,
                errors: Math.round(requests * rate),
                latency: {
                  bounds: [0.05, 0.1, 0.25, 0.5, 1],
                  counts: [half, most, requests - half - most, 0, 0, 0],
                },
              };
            },
          });
        },
      });
    },
  });
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Starts the engine on `cluster` through `proxy`, in a new namespace (the only one
 * `allowedNamespaces` lists) holding the stable Deployment `shop` (1.0.0, rolled out) and its
 * VirtualService at 100/0, both marked as the entity's. `canaryKubernetes` overrides
 * `canary.kubernetes` (fast retries by default); `entityNamespace` is the namespace the entity's
 * annotation names instead of the new one.
 */
export async function startEngine(
  cluster: TestCluster,
  proxy: FaultProxy,
  canaryKubernetes: object = {},
  options: { entityNamespace?: string } = {},
) {
  const namespace = await createNamespace(cluster, 'canary-e2e');
  await createObject(
    cluster,
    DEPLOYMENTS,
    namespace,
    stableDeployment('shop', 'registry.example/shop:1.0.0', 4),
  );
  await markRolledOut(cluster, namespace, 'shop');
  await createObject(cluster, VS, namespace, {
    metadata: { name: 'shop', labels: OWNED_BY_TEST_ENTITY },
    spec: {
      hosts: ['shop'],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'shop', subset: 'stable' }, weight: 100 },
            { destination: { host: 'shop', subset: 'canary' }, weight: 0 },
          ],
        },
      ],
    },
  });

  const virtualService = () => readObject(cluster, VS, namespace, 'shop');
  const weightsInVirtualService = async (): Promise<number[]> =>
    (await virtualService()).spec.http
      .find((r: any) => r.name === 'primary')
      .route.map((r: any) => r.weight);
  const metrics = { canaryErrorRate: 0 };
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const config = moduleConfig(
    cluster,
    { proxy },
    { ...allowing(namespace), ...canaryKubernetes },
  );
  const backend = await startTestBackend({
    features: [
      canaryBackend,
      canaryModuleKubernetes,
      memoryMetricsModule(metrics, weightsInVirtualService),
      scheduler.factory(),
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'shop',
              annotations: {
                'backstage.io/kubernetes-id': 'shop',
                'backstage.io/kubernetes-namespace':
                  options.entityNamespace ?? namespace,
                'backstage.io/kubernetes-cluster': 'test',
                'canary.backstage.io/router': 'istio',
                'canary.backstage.io/metrics': 'memory',
                'canary.backstage.io/workload': 'kubernetes',
                'canary.backstage.io/preset': 'compressed',
              },
            },
            spec: {
              type: 'service',
              owner: 'shop-team',
              lifecycle: 'production',
            },
          },
        ],
      }),
      mockServices.rootConfig.factory({
        data: {
          ...config,
          canary: {
            // Some tests launch with strategy overrides, which the default policy refuses.
            policy: OVERRIDE_ANY_POLICY,
            ...config.canary,
            presets: { compressed: COMPRESSED },
          },
        },
      }),
    ],
  });

  const tick = () => scheduler.triggerTask('canary-engine-tick');
  const getRollout = async (id: string) =>
    (await request(backend.server).get(`/api/canary/rollouts/${id}`)).body;

  /** The Deployment controller's part: whatever exists is rolled out (read and written directly). */
  async function rollOut(names = ['shop', 'shop-canary']) {
    for (const name of names) {
      if (await findObject(cluster, DEPLOYMENTS, namespace, name)) {
        await markRolledOut(cluster, namespace, name);
      }
    }
  }

  /** Rolls out and ticks every 50 ms until `done` holds for the rollout (or 30 s pass). */
  async function tickUntil(
    id: string,
    done: (rollout: any) => boolean,
    rolledOut?: string[],
  ) {
    const deadline = Date.now() + 30_000;
    let rollout: any;
    do {
      await rollOut(rolledOut);
      await tick();
      rollout = await getRollout(id);
      if (done(rollout)) return rollout;
      await sleep(50);
    } while (Date.now() < deadline);
    return rollout;
  }

  return {
    namespace,
    server: backend.server,
    metrics,
    tick,
    rollOut,
    tickUntil,
    getRollout,
    virtualService,
    weightsInVirtualService,
    deployment: (name: string) =>
      readObject<Deployment>(cluster, DEPLOYMENTS, namespace, name),
    /** Ticks until the rollout reaches one of `phases` (or 30 s pass). */
    runUntil: (id: string, phases: string[], rolledOut?: string[]) =>
      tickUntil(id, rollout => phases.includes(rollout.phase), rolledOut),
    async launch(version: string, strategy?: object): Promise<string> {
      const res = await request(backend.server)
        .post('/api/canary/rollouts')
        .send({
          entityRef: TEST_ENTITY,
          canaryVersion: version,
          ...(strategy && { strategy }),
        });
      expect(res.status).toBe(201);
      return res.body.id;
    },
    async audit(id: string): Promise<any[]> {
      return (
        await request(backend.server).get(`/api/canary/audit?rolloutId=${id}`)
      ).body.items;
    },
    stop: () => backend.stop(),
  };
}

export type Engine = Awaited<ReturnType<typeof startEngine>>;
