import {
  ServiceFactory,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import canaryBackend from '@canary-release/backstage-plugin-canary-backend';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import request from 'supertest';
import { FaultProxy } from './__testUtils__/FaultProxy';
import {
  TestCluster,
  createNamespace,
  createObject,
  findObject,
  markRolledOut,
  moduleConfig,
  readObject,
  stableDeployment,
  testServers,
} from './__testUtils__/testClusters';
import { DEPLOYMENTS, Deployment, virtualServices } from './kube/resources';
import { canaryModuleKubernetes } from './module';

/**
 * The canary engine driving a cluster through this module: the canary backend plugin, the module,
 * a mock catalog with an entity annotated for istio + kubernetes, and an in-memory metrics provider
 * whose canary error rate the test sets. The API server (the fake, and a real kube-apiserver when
 * configured) sits behind a FaultProxy; with no Deployment controller, the test reports the
 * Deployments rolled out between engine ticks, as their controller would.
 */

const VS = virtualServices('v1');

/** The canary's error rate the in-memory metrics provider reports. */
const metrics = { canaryErrorRate: 0 };

/**
 * A metrics provider in memory: 10000 requests per look, split between the arms as the
 * VirtualService's weights say (read from the cluster), with the canary's errors at
 * `metrics.canaryErrorRate` and none on stable, and the same latency for both.
 */
function memoryMetricsModule(weights: () => Promise<number[]>) {
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

type TestScheduler = {
  factory(): ServiceFactory;
  triggerTask(id: string): Promise<void>;
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe.each(testServers)(
  'the engine on Kubernetes, against %s',
  (_, start) => {
    let cluster: TestCluster;
    let proxy: FaultProxy;
    let namespace: string;
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    let tick: () => Promise<void>;
    const entityRef = 'component:default/shop';

    const virtualService = () => readObject(cluster, VS, namespace, 'shop');
    const weightsInVirtualService = async (): Promise<number[]> =>
      (await virtualService()).spec.http
        .find((r: any) => r.name === 'primary')
        .route.map((r: any) => r.weight);
    const deployment = (name: string) =>
      readObject<Deployment>(cluster, DEPLOYMENTS, namespace, name);

    beforeAll(async () => {
      cluster = await start();
      proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
      namespace = await createNamespace(cluster, 'canary-e2e');
      await createObject(
        cluster,
        DEPLOYMENTS,
        namespace,
        stableDeployment('shop', 'registry.example/shop:1.0.0', 4),
      );
      await markRolledOut(cluster, namespace, 'shop');
      await createObject(cluster, VS, namespace, {
        metadata: { name: 'shop' },
        spec: {
          hosts: ['shop'],
          http: [
            {
              name: 'primary',
              route: [
                {
                  destination: { host: 'shop', subset: 'stable' },
                  weight: 100,
                },
                { destination: { host: 'shop', subset: 'canary' }, weight: 0 },
              ],
            },
          ],
        },
      });

      const scheduler = mockServices.scheduler() as unknown as TestScheduler;
      const config = moduleConfig(cluster, { proxy });
      backend = await startTestBackend({
        features: [
          canaryBackend,
          canaryModuleKubernetes,
          memoryMetricsModule(() => weightsInVirtualService()),
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
                    'backstage.io/kubernetes-namespace': namespace,
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
                ...config.canary,
                presets: {
                  compressed: {
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
                          critical: true,
                        },
                      ],
                      minRequestsPerLook: 10,
                      minRequestsPerStage: 50,
                      thresholds: {
                        success: { maxErrorRate: 0.01 },
                        rollback: { maxErrorRate: 0.05 },
                      },
                    },
                  },
                },
              },
            },
          }),
        ],
      });
      tick = () => scheduler.triggerTask('canary-engine-tick');
    }, 60_000);

    afterEach(() => proxy.clear());

    afterAll(async () => {
      await backend?.stop();
      await proxy?.close();
      await cluster?.close();
    });

    /** The Deployment controller's part: whatever exists is rolled out (read and written directly). */
    async function rollOut(names = ['shop', 'shop-canary']) {
      for (const name of names) {
        if (await findObject(cluster, DEPLOYMENTS, namespace, name)) {
          await markRolledOut(cluster, namespace, name);
        }
      }
    }

    const getRollout = async (id: string) =>
      (await request(backend.server).get(`/api/canary/rollouts/${id}`)).body;

    /** Rolls out and ticks every 50 ms until the rollout reaches one of `phases` (or 30 s pass). */
    async function runUntil(
      id: string,
      phases: string[],
      rolledOut?: string[],
    ) {
      const deadline = Date.now() + 30_000;
      let rollout: any;
      do {
        await rollOut(rolledOut);
        await tick();
        rollout = await getRollout(id);
        if (phases.includes(rollout.phase)) return rollout;
        await sleep(50);
      } while (Date.now() < deadline);
      return rollout;
    }

    async function launch(version: string, strategy?: object): Promise<string> {
      const res = await request(backend.server)
        .post('/api/canary/rollouts')
        .send({
          entityRef,
          canaryVersion: version,
          ...(strategy && { strategy }),
        });
      expect(res.status).toBe(201);
      return res.body.id;
    }

    it('promotes a healthy canary: stable runs the new image, all traffic on stable, the canary scaled to zero', async () => {
      metrics.canaryErrorRate = 0;
      const id = await launch('1.1.0');
      expect((await getRollout(id)).stableVersion).toBe('1.0.0');
      const rollout = await runUntil(id, [
        'Succeeded',
        'RolledBack',
        'Paused',
        'Failed',
      ]);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
      expect(
        (await deployment('shop')).spec.template.spec.containers[0].image,
      ).toBe('registry.example/shop:1.1.0');
      expect(await weightsInVirtualService()).toEqual([100, 0]);
      expect(
        (await virtualService()).spec.http.map((r: any) => r.name),
      ).toEqual(['primary']);
      expect((await deployment('shop-canary')).spec.replicas).toBe(0);
      const audit = (
        await request(backend.server).get(`/api/canary/audit?rolloutId=${id}`)
      ).body.items;
      expect(audit.map((e: any) => e.action)).toEqual([
        'launch',
        'start',
        'traffic-shifted',
        'advance',
        'traffic-shifted',
        'complete',
        'promoted',
      ]);
    }, 60_000);

    it('rolls back a faulty canary to 100/0, leaving stable on its version', async () => {
      metrics.canaryErrorRate = 0.2;
      const id = await launch('1.2.0');
      const rollout = await runUntil(id, [
        'Succeeded',
        'RolledBack',
        'Paused',
        'Failed',
      ]);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      expect(await weightsInVirtualService()).toEqual([100, 0]);
      expect(
        (await deployment('shop')).spec.template.spec.containers[0].image,
      ).toBe('registry.example/shop:1.1.0');
      expect((await deployment('shop-canary')).spec.replicas).toBe(0);
    }, 60_000);

    it('retries the rollback while the API server answers 409, 429 and 500, and completes it once the server answers', async () => {
      metrics.canaryErrorRate = 0;
      const id = await launch('1.3.0');
      // Healthy until the first stage's traffic is in place.
      let inPlace = await getRollout(id);
      for (let i = 0; i < 200 && !inPlace.stageStartedAt; i++) {
        await rollOut();
        await tick();
        inPlace = await getRollout(id);
      }
      expect(inPlace.phase).toBe('Progressing');
      expect(await weightsInVirtualService()).toEqual([90, 10]);

      // The canary fails, and the API server misbehaves: every write conflicts, reads get 429 or 500.
      metrics.canaryErrorRate = 0.2;
      let reads = 0;
      proxy.inject(({ method }) => {
        if (method === 'PATCH') return { status: 409 };
        reads += 1;
        return reads % 2
          ? { status: 429, retryAfterSeconds: 1 }
          : { status: 500 };
      });
      for (let i = 0; i < 8; i++) {
        await tick();
        await sleep(50);
      }
      const stuck = await getRollout(id);
      expect(stuck.phase).toBe('RollingBack');
      expect(await weightsInVirtualService()).toEqual([90, 10]);
      expect(proxy.injected).toBeGreaterThan(8);

      proxy.clear();
      const rollout = await runUntil(id, ['RolledBack']);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      expect(await weightsInVirtualService()).toEqual([100, 0]);
      expect((await deployment('shop-canary')).spec.replicas).toBe(0);
      expect(
        (await deployment('shop')).spec.template.spec.containers[0].image,
      ).toBe('registry.example/shop:1.1.0');
    }, 60_000);

    it('rolls back a canary that never becomes ready, at the progress deadline, saying so', async () => {
      metrics.canaryErrorRate = 0;
      const id = await launch('1.4.0', { progressDeadline: '1s' });
      // The canary's pods never get ready: only stable is rolled out.
      const rollout = await runUntil(
        id,
        ['RolledBack', 'Succeeded', 'Paused', 'Failed'],
        ['shop'],
      );
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      const audit = (
        await request(backend.server).get(`/api/canary/audit?rolloutId=${id}`)
      ).body.items;
      expect(audit.find((e: any) => e.action === 'rollback').reason).toBe(
        'Stage 1 was not in place within the progress deadline (1s): still waiting for canary 1.4.0 to become ready',
      );
      expect(await weightsInVirtualService()).toEqual([100, 0]);
      expect((await deployment('shop-canary')).spec.replicas).toBe(0);
    }, 60_000);
  },
);
