import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import {
  TestCluster,
  allowing,
  createNamespace,
  createObject,
  mergePatchObject,
  moduleConfig,
  objectPath,
  readObject,
  realServerAvailable,
  registryFor,
  stableDeployment,
  testServers,
} from '../__testUtils__/testClusters';
import { onlyIfUnchanged } from './jsonPatch';
import type { KubeClient } from './KubeClient';
import { readModifyWrite } from './readModifyWrite';
import {
  DEPLOYMENTS,
  Deployment,
  HTTP_ROUTES,
  KubeObject,
  virtualServices,
} from './resources';

/**
 * The contract between the module's client and an API server, run against the fake and, when one
 * is configured, a real kube-apiserver: what the module relies on must hold on both, which proves
 * the fake behaves like the real server where it matters (conflicts, patch types, 404s, Status
 * bodies, 403s).
 */

const VS_V1 = virtualServices('v1');
const VS_V1BETA1 = virtualServices('v1beta1');

it('runs against a real kube-apiserver in CI', () => {
  // CI sources scripts/kube-apiserver.sh first; a CI run without it must not pass silently.
  expect(realServerAvailable || !process.env.CI).toBe(true);
});

describe.each(testServers)('the API client against %s', (_, start) => {
  let cluster: TestCluster;
  let namespace: string;
  let client: KubeClient;

  const target = () => ({
    namespace,
    name: 'shop',
    router: 'istio',
    metrics: 'memory',
    workload: 'kubernetes',
  });

  async function clientWith(
    access: Parameters<typeof moduleConfig>[1],
    extra = {},
  ) {
    const { clusters } = await registryFor(
      moduleConfig(cluster, access, { ...allowing(namespace), ...extra }),
    );
    return clusters.clientFor(target());
  }

  beforeAll(async () => {
    cluster = await start();
    namespace = await createNamespace(cluster);
    client = await clientWith({});
    await createObject(
      cluster,
      DEPLOYMENTS,
      namespace,
      stableDeployment('shop', 'registry.example/shop:1.0.0', 4),
    );
    await createObject(cluster, VS_V1, namespace, {
      metadata: { name: 'shop' },
      spec: {
        hosts: ['shop'],
        futureIstioField: { kept: ['as', 'is'] },
        http: [
          {
            route: [
              { destination: { host: 'shop', subset: 'stable' }, weight: 100 },
            ],
          },
        ],
      },
    });
  }, 30_000); // the first load of @kubernetes/client-node in a test file takes seconds

  afterAll(async () => {
    await cluster.close();
  });

  it('reads objects as plain JSON, unknown fields included, in either served version', async () => {
    const v1 = await client.get<KubeObject>(VS_V1, namespace, 'shop');
    const v1beta1 = await client.get<KubeObject>(VS_V1BETA1, namespace, 'shop');
    expect(v1.apiVersion).toBe('networking.istio.io/v1');
    expect(v1beta1.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(v1.spec).toEqual(v1beta1.spec);
    expect((v1.spec as any).futureIstioField).toEqual({ kept: ['as', 'is'] });
    expect(v1.metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('names a missing object, and tells a missing object from a resource type nobody serves', async () => {
    await expect(
      client.find(VS_V1, namespace, 'nothing'),
    ).resolves.toBeUndefined();
    await expect(client.get(VS_V1, namespace, 'nothing')).rejects.toThrow(
      NotFoundError,
    );
    await expect(client.get(VS_V1, namespace, 'nothing')).rejects.toThrow(
      `VirtualService ${namespace}/nothing does not exist in Kubernetes cluster "test": virtualservices.networking.istio.io "nothing" not found`,
    );
    const unserved = { ...VS_V1, version: 'v1alpha3' };
    await expect(client.get(unserved, namespace, 'shop')).rejects.toThrow(
      /does not serve networking.istio.io\/v1alpha3 virtualservices \(is the CRD installed in this version\?\).*404 page not found/,
    );
    // A resource type nobody serves is an error even for `find`, not an absent object.
    await expect(client.find(unserved, namespace, 'shop')).rejects.toThrow(
      NotFoundError,
    );
  });

  it('creates objects; a second create of the same name is a ConflictError', async () => {
    const route = {
      metadata: { name: 'created' },
      spec: {
        rules: [
          {
            backendRefs: [{ name: 'shop' }, { name: 'shop-canary', weight: 0 }],
          },
        ],
      },
    };
    const created = await client.create<KubeObject>(HTTP_ROUTES, namespace, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      ...route,
    });
    // The Gateway API schema defaults a backendRef's weight to 1.
    expect((created.spec as any).rules[0].backendRefs[0].weight).toBe(1);
    expect(created.metadata.generation).toBe(1);
    await expect(
      client.create(HTTP_ROUTES, namespace, {
        ...route,
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
      }),
    ).rejects.toThrow(
      /HTTPRoute .*\/created already exists.*httproutes.gateway.networking.k8s.io "created" already exists/,
    );
    await expect(
      client.create(HTTP_ROUTES, `${namespace}-missing`, {
        ...route,
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
      }),
    ).rejects.toThrow(
      new RegExp(`namespaces "${namespace}-missing" not found`),
    );
  });

  it('applies a JSON patch conditionally: a stale resourceVersion is a ConflictError, a fresh one writes', async () => {
    const before = await client.get<KubeObject>(VS_V1, namespace, 'shop');
    await mergePatchObject(cluster, VS_V1, namespace, 'shop', {
      metadata: { labels: { touched: 'yes' } },
    });
    const weightPath = '/spec/http/0/route/0/weight';
    await expect(
      client.patch(
        VS_V1,
        namespace,
        'shop',
        onlyIfUnchanged(before.metadata.resourceVersion, [
          { op: 'replace', path: weightPath, value: 90 },
        ]),
      ),
    ).rejects.toThrow(ConflictError);
    const fresh = await client.get<KubeObject>(VS_V1, namespace, 'shop');
    const after = await client.patch<KubeObject>(
      VS_V1,
      namespace,
      'shop',
      onlyIfUnchanged(fresh.metadata.resourceVersion, [
        { op: 'replace', path: weightPath, value: 90 },
      ]),
    );
    expect((after.spec as any).http[0].route[0].weight).toBe(90);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(
      Number(fresh.metadata.resourceVersion),
    );
    expect(after.metadata.generation).toBe(fresh.metadata.generation! + 1);
  });

  it('rejects a patch that does not apply with an InputError (422)', async () => {
    await expect(
      client.patch(VS_V1, namespace, 'shop', [
        { op: 'replace', path: '/spec/nothing/here', value: 1 },
      ]),
    ).rejects.toThrow(InputError);
    await expect(
      client.patch(VS_V1, namespace, 'shop', [
        { op: 'test', path: '/spec/hosts/0', value: 'other' },
      ]),
    ).rejects.toThrow(
      /rejected the patch of VirtualService .*\/shop \(422\): the server rejected our request/,
    );
    await expect(
      client.patch(HTTP_ROUTES, namespace, 'created', [
        {
          op: 'replace',
          path: '/spec/rules/0/backendRefs/0/weight',
          value: -1,
        },
      ]),
    ).rejects.toThrow(/should be greater than or equal to 0/);
  });

  it('takes JSON and merge patches, and refuses a strategic merge patch on a custom resource (415)', async () => {
    const strategic = await cluster.request(
      'PATCH',
      objectPath(VS_V1, namespace, 'shop'),
      { spec: {} },
      'application/strategic-merge-patch+json',
    );
    expect(strategic.status).toBe(415);
    expect(strategic.body).toMatchObject({
      kind: 'Status',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
    const merge = await cluster.request(
      'PATCH',
      objectPath(VS_V1, namespace, 'shop'),
      { metadata: { resourceVersion: '1' } },
      'application/merge-patch+json',
    );
    expect(merge.status).toBe(409);
    expect(merge.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      details: {
        name: 'shop',
        group: 'networking.istio.io',
        kind: 'virtualservices',
      },
      message:
        'Operation cannot be fulfilled on virtualservices.networking.istio.io "shop": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('scales through /scale, which bumps the generation; /status changes only the status', async () => {
    const before = await readObject<Deployment>(
      cluster,
      DEPLOYMENTS,
      namespace,
      'shop',
    );
    await client.scale(DEPLOYMENTS, namespace, 'shop', 6);
    const scaled = await client.get<Deployment>(DEPLOYMENTS, namespace, 'shop');
    expect(scaled.spec.replicas).toBe(6);
    expect(scaled.metadata.generation).toBe(before.metadata.generation! + 1);
    expect(scaled.spec.template).toEqual(before.spec.template);

    const statusOnly = await mergePatchObject(
      cluster,
      DEPLOYMENTS,
      namespace,
      'shop',
      {
        spec: { replicas: 1 },
        status: { replicas: 6, readyReplicas: 6, observedGeneration: 9 },
      },
      'status',
    );
    // The server checks a status's counts against each other.
    await expect(
      mergePatchObject(
        cluster,
        DEPLOYMENTS,
        namespace,
        'shop',
        { status: { readyReplicas: 7 } },
        'status',
      ),
    ).rejects.toThrow(
      /status.readyReplicas: Invalid value: 7: cannot be greater than status.replicas/,
    );
    expect(statusOnly.spec.replicas).toBe(6);
    expect(statusOnly.status.readyReplicas).toBe(6);
    expect(statusOnly.metadata.generation).toBe(scaled.metadata.generation);
    // A write to the main resource ignores the status.
    const ignored = await mergePatchObject(
      cluster,
      DEPLOYMENTS,
      namespace,
      'shop',
      { status: { readyReplicas: 1 } },
    );
    expect(ignored.status.readyReplicas).toBe(6);
  });

  it('retries a read-modify-write from a fresh read when someone else writes in between', async () => {
    let reads = 0;
    const result = await readModifyWrite<KubeObject>({
      attempts: 3,
      read: async () => {
        reads += 1;
        return client.get<KubeObject>(VS_V1, namespace, 'shop');
      },
      plan: current => {
        if (reads === 1) {
          // Another writer changes the object after our read: our write must conflict.
          void mergePatchObject(cluster, VS_V1, namespace, 'shop', {
            metadata: { labels: { other: 'writer' } },
          });
        }
        return (current.spec as any).http[0].route[0].weight === 80
          ? []
          : [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 80 }];
      },
      write: operations =>
        new Promise(resolve => setTimeout(resolve, 50)).then(() =>
          client.patch<KubeObject>(VS_V1, namespace, 'shop', operations),
        ),
    });
    expect(reads).toBe(2);
    expect((result.spec as any).http[0].route[0].weight).toBe(80);
    expect(result.metadata.labels).toMatchObject({ other: 'writer' });
  });

  it('names the verb and resource of a 403 (missing RBAC), and reports a 401', async () => {
    const unprivileged = await clientWith({ unprivileged: true });
    await expect(unprivileged.get(VS_V1, namespace, 'shop')).rejects.toThrow(
      NotAllowedError,
    );
    await expect(unprivileged.get(VS_V1, namespace, 'shop')).rejects.toThrow(
      `Kubernetes cluster "test" forbids the backend to get virtualservices.networking.istio.io in namespace ${namespace} (403 Forbidden): its service account lacks the RBAC permission (verb "get" on resource "virtualservices" in API group "networking.istio.io"). virtualservices.networking.istio.io "shop" is forbidden: User "canary-nobody" cannot get resource "virtualservices" in API group "networking.istio.io" in the namespace "${namespace}"`,
    );
    await expect(
      unprivileged.scale(DEPLOYMENTS, namespace, 'shop', 1),
    ).rejects.toThrow(
      /verb "patch" on resource "deployments\/scale" in API group "apps".*cannot patch resource "deployments\/scale"/,
    );
    await expect(
      unprivileged.create(DEPLOYMENTS, namespace, { metadata: { name: 'x' } }),
    ).rejects.toThrow(
      /verb "create" on resource "deployments" in API group "apps"/,
    );

    const { clusters } = await registryFor({
      ...moduleConfig(cluster, {}, allowing(namespace)),
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                ...moduleConfig(cluster).kubernetes.clusterLocatorMethods[0]
                  .clusters[0],
                serviceAccountToken: 'wrong',
              },
            ],
          },
        ],
      },
    });
    await expect(
      clusters.clientFor(target()).get(VS_V1, namespace, 'shop'),
    ).rejects.toThrow(AuthenticationError);
  });

  describe('through a proxy that injects faults', () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
    });
    afterEach(() => proxy.clear());
    afterAll(() => proxy.close());

    it('retries 500, 503 and 429 (with Retry-After) and succeeds once the server answers', async () => {
      const proxied = await clientWith({ proxy });
      const faults = [
        { status: 500 as const },
        { status: 429 as const, retryAfterSeconds: 1 },
      ];
      proxy.inject(() => faults.shift());
      proxy.injected = 0;
      const vs = await proxied.get<KubeObject>(VS_V1, namespace, 'shop');
      expect(vs.metadata.name).toBe('shop');
      expect(proxy.injected).toBe(2);
    });

    it('gives up after the configured attempts with a ServiceUnavailableError', async () => {
      const proxied = await clientWith({ proxy });
      proxy.inject(() => ({ status: 503 }));
      proxy.injected = 0;
      await expect(proxied.get(VS_V1, namespace, 'shop')).rejects.toThrow(
        ServiceUnavailableError,
      );
      expect(proxy.injected).toBe(3);
      await expect(proxied.get(VS_V1, namespace, 'shop')).rejects.toThrow(
        /answered 503 to the get of VirtualService .*\/shop: injected 503/,
      );
    });

    it('does not retry a 409: the caller starts again from a fresh read', async () => {
      const proxied = await clientWith({ proxy });
      proxy.inject(({ method }) =>
        method === 'PATCH' ? { status: 409 } : undefined,
      );
      proxy.injected = 0;
      await expect(
        proxied.patch(VS_V1, namespace, 'shop', [
          { op: 'add', path: '/metadata/labels/x', value: 'y' },
        ]),
      ).rejects.toThrow(ConflictError);
      expect(proxy.injected).toBe(1);
    });

    it('times out a request that gets no answer, and retries it', async () => {
      const proxied = await clientWith(
        { proxy },
        {
          requestTimeout: '100ms',
          retries: { attempts: 2, initialBackoff: '5ms', maxBackoff: '5ms' },
        },
      );
      proxy.inject(() => ({ hang: true }));
      proxy.injected = 0;
      await expect(proxied.get(VS_V1, namespace, 'shop')).rejects.toThrow(
        /did not answer the get of VirtualService .*\/shop: no answer within 100 ms/,
      );
      expect(proxy.injected).toBe(2);
    });
  });
});
