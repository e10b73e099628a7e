import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import { TargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import {
  ClusterAccess,
  OWNED_BY_TEST_ENTITY,
  TEST_ENTITY,
  TestCluster,
  allowing,
  createNamespace,
  createObject,
  mergePatchObject,
  readObject,
  registryFor,
  moduleConfig,
  stableDeployment,
  testServers,
} from '../__testUtils__/testClusters';
import { DEPLOYMENTS, HTTP_ROUTES, virtualServices } from '../kube/resources';
import { GatewayApiTrafficRouter } from './GatewayApiTrafficRouter';
import { IstioTrafficRouter } from './IstioTrafficRouter';
import type { RouteTrafficRouter } from './RouteTrafficRouter';
import { KubernetesWorkloadController } from '../workload/KubernetesWorkloadController';

/**
 * Both routers against the fake and, when configured, a real kube-apiserver with the fixture CRDs:
 * the weights are written, read back and verified, and nothing else of the object changes.
 */

type RouterCase = {
  kind: 'istio' | 'gateway-api';
  apiVersion?: 'v1' | 'v1beta1';
  /** The object's spec at 95/5 with the default request match, from the original spec. */
  shifted(spec: any): any;
};

/** A VirtualService at 95/5: the header route to the canary before the weighted route. */
function shiftedVirtualService(spec: any) {
  const [admin, primary] = spec.http;
  return {
    ...spec,
    http: [
      admin,
      {
        ...primary,
        name: 'canary-release.primary',
        match: [{ headers: { canary: { exact: 'true' } } }],
        route: [{ ...primary.route[1], weight: 100 }],
      },
      {
        ...primary,
        route: [
          { ...primary.route[0], weight: 95 },
          { ...primary.route[1], weight: 5 },
        ],
      },
    ],
  };
}

/** An HTTPRoute at 95/5: the header rule to the canary, marked, next to the weighted rule. */
function shiftedHttpRoute(spec: any) {
  const [statics, primary] = spec.rules;
  return {
    ...spec,
    rules: [
      statics,
      {
        ...primary,
        matches: [
          {
            ...primary.matches[0],
            headers: [{ type: 'Exact', name: 'canary', value: 'true' }],
          },
        ],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'X-Canary-Release', value: 'forced' }],
            },
          },
        ],
        backendRefs: [{ ...primary.backendRefs[1], weight: 1 }],
      },
      {
        ...primary,
        backendRefs: [
          { ...primary.backendRefs[0], weight: 95 },
          { ...primary.backendRefs[1], weight: 5 },
        ],
      },
    ],
  };
}

const ROUTERS: Array<[string, RouterCase]> = [
  [
    'istio, VirtualService v1',
    { kind: 'istio', apiVersion: 'v1', shifted: shiftedVirtualService },
  ],
  [
    'istio, VirtualService v1beta1',
    { kind: 'istio', apiVersion: 'v1beta1', shifted: shiftedVirtualService },
  ],
  [
    'gateway-api, HTTPRoute v1',
    { kind: 'gateway-api', shifted: shiftedHttpRoute },
  ],
];

const VIRTUAL_SERVICE = {
  metadata: { name: 'shop', labels: { team: 'shop', ...OWNED_BY_TEST_ENTITY } },
  spec: {
    hosts: ['shop.example.com'],
    gateways: ['public'],
    http: [
      {
        name: 'admin',
        match: [{ uri: { prefix: '/admin' } }],
        route: [{ destination: { host: 'admin' } }],
      },
      {
        name: 'primary',
        timeout: '3s',
        route: [
          { destination: { host: 'shop', subset: 'stable' }, weight: 100 },
          { destination: { host: 'shop', subset: 'canary' }, weight: 0 },
        ],
      },
    ],
    tcp: [{ route: [{ destination: { host: 'shop-db' } }] }],
  },
};

const HTTP_ROUTE = {
  metadata: { name: 'shop', labels: { team: 'shop', ...OWNED_BY_TEST_ENTITY } },
  spec: {
    parentRefs: [{ name: 'public-gateway' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/static' } }],
        backendRefs: [{ name: 'static', port: 80 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { name: 'shop', port: 8080, weight: 100 },
          { name: 'shop-canary', port: 8080, weight: 0 },
        ],
      },
    ],
  },
};

describe.each(testServers)('traffic routers against %s', (_, start) => {
  let cluster: TestCluster;
  let namespace: string;
  let proxy: FaultProxy;

  beforeAll(async () => {
    cluster = await start();
    namespace = await createNamespace(cluster);
    proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
    await createObject(
      cluster,
      DEPLOYMENTS,
      namespace,
      stableDeployment('shop', 'registry.example/shop:1.0.0', 4),
    );
    await createObject(
      cluster,
      virtualServices('v1'),
      namespace,
      VIRTUAL_SERVICE,
    );
    await createObject(cluster, HTTP_ROUTES, namespace, HTTP_ROUTE);
  }, 30_000);

  afterEach(() => proxy.clear());

  afterAll(async () => {
    await proxy.close();
    await cluster.close();
  });

  describe.each(ROUTERS)('%s', (__, routerCase) => {
    const type =
      routerCase.kind === 'istio'
        ? virtualServices(routerCase.apiVersion!)
        : HTTP_ROUTES;
    const target = (routerObject?: string): RolloutTarget => ({
      namespace,
      name: 'shop',
      router: routerCase.kind,
      routerObject,
      metrics: 'memory',
      workload: 'kubernetes',
      entityRef: TEST_ENTITY,
    });

    async function router(
      access: ClusterAccess = {},
    ): Promise<RouteTrafficRouter<any>> {
      const { settings, clusters } = await registryFor(
        moduleConfig(cluster, access, {
          conflictAttempts: 3,
          ...allowing(namespace),
        }),
      );
      const options = {
        routing: settings.routing,
        conflictAttempts: settings.conflictAttempts,
      };
      return routerCase.kind === 'istio'
        ? new IstioTrafficRouter(clusters, {
            ...options,
            apiVersion: routerCase.apiVersion!,
          })
        : new GatewayApiTrafficRouter(clusters, options);
    }

    const read = () => readObject(cluster, type, namespace, 'shop');

    it('writes the weights, reads them back, adds the request route, and restores the object at 100/0', async () => {
      const original = await read();
      const subject = await router();
      await expect(subject.getWeights(target())).resolves.toEqual({
        stable: 100,
        canary: 0,
      });

      await subject.setWeights(target(), { stable: 95, canary: 5 });
      const shifted = await read();
      await expect(subject.getWeights(target())).resolves.toEqual({
        stable: 95,
        canary: 5,
      });
      expect(shifted.metadata.labels).toEqual(original.metadata.labels);
      expect(shifted.spec).toEqual(routerCase.shifted(original.spec));

      // The same weights again: nothing to write.
      await subject.setWeights(target(), { stable: 95, canary: 5 });
      expect((await read()).metadata.resourceVersion).toBe(
        shifted.metadata.resourceVersion,
      );

      await subject.setWeights(target(), { stable: 100, canary: 0 });
      const restored = await read();
      expect(restored.spec).toEqual(original.spec);
      expect(Number(restored.metadata.resourceVersion)).toBeGreaterThan(
        Number(shifted.metadata.resourceVersion),
      );
    });

    it('names a routing object that does not exist', async () => {
      const subject = await router();
      await expect(subject.getWeights(target('nothing'))).rejects.toThrow(
        NotFoundError,
      );
      await expect(
        subject.setWeights(target('nothing'), { stable: 90, canary: 10 }),
      ).rejects.toThrow(
        `${type.kind} ${namespace}/nothing does not exist in Kubernetes cluster "test"`,
      );
    });

    it('names the verb and resource when RBAC forbids it', async () => {
      const subject = await router({ unprivileged: true });
      await expect(subject.getWeights(target())).rejects.toThrow(
        NotAllowedError,
      );
      await expect(subject.getWeights(target())).rejects.toThrow(
        new RegExp(
          `verb "get" on resource "${
            type.plural
          }" in API group "${type.group.replace(/\./g, '\\.')}"`,
        ),
      );
    });

    it('starts again from a fresh read on 409 Conflict, and gives up after the configured attempts', async () => {
      const subject = await router({ proxy });
      let conflicts = 2;
      proxy.inject(({ method }) =>
        method === 'PATCH' && conflicts-- > 0 ? { status: 409 } : undefined,
      );
      await subject.setWeights(target(), { stable: 90, canary: 10 });
      await expect(subject.getWeights(target())).resolves.toEqual({
        stable: 90,
        canary: 10,
      });

      proxy.inject(({ method }) =>
        method === 'PATCH' ? { status: 409 } : undefined,
      );
      proxy.injected = 0;
      await expect(
        subject.setWeights(target(), { stable: 100, canary: 0 }),
      ).rejects.toThrow(ConflictError);
      expect(proxy.injected).toBe(3);
      proxy.clear();
      await subject.setWeights(target(), { stable: 100, canary: 0 });
    });

    it('reports a write that did not land: the weights do not verify', async () => {
      const subject = await router({ proxy });
      proxy.inject(({ method }) =>
        method === 'PATCH' ? { swallow: true } : undefined,
      );
      await expect(
        subject.setWeights(target(), { stable: 80, canary: 20 }),
      ).rejects.toThrow(
        `The weights of ${type.kind} ${namespace}/shop in Kubernetes cluster "test" did not verify after the write: wanted 80/20 (stable/canary), read back 100/0`,
      );
    });

    it('refuses to change a routing object without the ownership mark, or with another entity’s', async () => {
      const subject = await router();
      const unmarked = `unmarked-${type.version}-${type.plural}`;
      await createObject(cluster, type, namespace, {
        metadata: { name: unmarked },
        spec: (routerCase.kind === 'istio' ? VIRTUAL_SERVICE : HTTP_ROUTE).spec,
      });
      const before = await readObject(cluster, type, namespace, unmarked);
      for (const call of [
        () => subject.setWeights(target(unmarked), { stable: 90, canary: 10 }),
        () => subject.checkTarget(target(unmarked)),
      ]) {
        await expect(call()).rejects.toThrow(TargetRefusedError);
        await expect(call()).rejects.toThrow(
          `${type.kind} ${namespace}/${unmarked} lacks the label canary.backstage.io/entity=${OWNED_BY_TEST_ENTITY['canary.backstage.io/entity']} that marks it as component:default/shop's; add it to allow canary releases: kubectl label -n ${namespace} ${type.plural}.${type.group}/${unmarked} canary.backstage.io/entity=${OWNED_BY_TEST_ENTITY['canary.backstage.io/entity']} (rule: ownership mark)`,
        );
      }
      await mergePatchObject(cluster, type, namespace, unmarked, {
        metadata: { labels: { 'canary.backstage.io/entity': 'f00' } },
      });
      const relabelled = await readObject(cluster, type, namespace, unmarked);
      await expect(
        subject.setWeights(target(unmarked), { stable: 90, canary: 10 }),
      ).rejects.toThrow(
        `${type.kind} ${namespace}/${unmarked} carries the label canary.backstage.io/entity=f00, which marks it as another entity's`,
      );
      const after = await readObject(cluster, type, namespace, unmarked);
      expect(after.metadata.resourceVersion).toBe(
        relabelled.metadata.resourceVersion,
      );
      expect(after.spec).toEqual(before.spec);
      await expect(subject.checkTarget(target())).resolves.toBeUndefined();
    });

    it('refuses weights that do not add up to 100', async () => {
      const subject = await router();
      await expect(
        subject.setWeights(target(), { stable: 90, canary: 20 }),
      ).rejects.toThrow(
        'Invalid weights {"stable":90,"canary":20}: expected integers 0-100 that add up to 100',
      );
    });
  });

  it('gives a baseline destination the canary’s share while the baseline Deployment runs', async () => {
    const vsType = virtualServices('v1');
    await createObject(cluster, vsType, namespace, {
      metadata: { name: 'shop-with-baseline', labels: OWNED_BY_TEST_ENTITY },
      spec: {
        hosts: ['shop'],
        http: [
          {
            route: [
              { destination: { host: 'shop', subset: 'stable' }, weight: 100 },
              { destination: { host: 'shop', subset: 'canary' }, weight: 0 },
              { destination: { host: 'shop', subset: 'baseline' }, weight: 0 },
            ],
          },
        ],
      },
    });
    const { settings, clusters } = await registryFor(
      moduleConfig(cluster, {}, allowing(namespace)),
    );
    const router = new IstioTrafficRouter(clusters, {
      routing: { requestMatches: [] },
      conflictAttempts: settings.conflictAttempts,
      apiVersion: 'v1',
    });
    const workload = new KubernetesWorkloadController(clusters, {
      ...settings.workload,
      conflictAttempts: settings.conflictAttempts,
    });
    const target: RolloutTarget = {
      namespace,
      name: 'shop',
      router: 'istio',
      routerObject: 'shop-with-baseline',
      metrics: 'memory',
      workload: 'kubernetes',
      entityRef: TEST_ENTITY,
    };
    const weights = async () =>
      (
        await readObject(cluster, vsType, namespace, 'shop-with-baseline')
      ).spec.http[0].route.map((r: any) => r.weight);

    await router.setWeights(target, { stable: 90, canary: 10 });
    expect(await weights()).toEqual([90, 10, 0]);
    await workload.deployCanary(target, '1.1.0', 20, {
      baselineVersion: '1.0.0',
    });
    await router.setWeights(target, { stable: 80, canary: 20 });
    expect(await weights()).toEqual([60, 20, 20]);
    await expect(router.getWeights(target)).resolves.toEqual({
      stable: 80,
      canary: 20,
    });
    await router.setWeights(target, { stable: 100, canary: 0 });
    await workload.removeCanary(target);
    expect(await weights()).toEqual([100, 0, 0]);
  });
});
