import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { readModuleSettings } from '../config';
import { loadKubernetesClient } from '../kube/loadClient';
import { DEPLOYMENTS, Deployment, ResourceType } from '../kube/resources';
import { ENTITY_LABEL, entityMark } from '../ownership';
import { FakeKubeApiServer } from './FakeKubeApiServer';
import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';

/**
 * The API servers the contract and end-to-end suites run against: always the in-process fake,
 * and a real kube-apiserver when `CANARY_TEST_KUBE_APISERVER_URL` (with `_TOKEN`, `_CA_FILE` and
 * `_UNPRIVILEGED_TOKEN`, as `scripts/kube-apiserver.sh` exports them) is set.
 */

const env = process.env;

/** True when a real kube-apiserver is configured for the tests. */
export const realServerAvailable = Boolean(env.CANARY_TEST_KUBE_APISERVER_URL);

/** An answer of the admin client. */
export interface AdminResponse {
  status: number;
  body: any;
}

/** A cluster under test: how to reach it, and an admin client independent of the module's code. */
export interface TestCluster {
  kind: 'fake' | 'real';
  url: string;
  token: string;
  unprivilegedToken: string;
  /** PEM of the server's CA (real server); the fake speaks plain HTTP. */
  ca?: string;
  /** Raw JSON requests with the privileged token. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<AdminResponse>;
  close(): Promise<void>;
}

function rawRequest(
  target: { url: string; token: string; ca?: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<AdminResponse> {
  const url = new URL(path, target.url);
  const transport = url.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method,
        ca: target.ca,
        // A fresh connection per request: Node's global agent keeps sockets alive, and one the
        // server closed after its keep-alive timeout resets the next request on a busy machine.
        agent: false,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: 'application/json',
          ...(payload && { 'Content-Type': contentType }),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain-text answers (404 page not found) stay text
          }
          resolve({ status: res.statusCode!, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function startFake(): Promise<TestCluster> {
  const token = 'fake-admin-token';
  const unprivilegedToken = 'fake-unprivileged-token';
  const fake = await FakeKubeApiServer.start({ token, unprivilegedToken });
  return {
    kind: 'fake',
    url: fake.url,
    token,
    unprivilegedToken,
    request: (method, path, body, contentType) =>
      rawRequest({ url: fake.url, token }, method, path, body, contentType),
    close: () => fake.close(),
  };
}

async function startReal(): Promise<TestCluster> {
  const url = env.CANARY_TEST_KUBE_APISERVER_URL!;
  const token = env.CANARY_TEST_KUBE_APISERVER_TOKEN ?? '';
  const ca = env.CANARY_TEST_KUBE_APISERVER_CA_FILE
    ? fs.readFileSync(env.CANARY_TEST_KUBE_APISERVER_CA_FILE, 'utf8')
    : undefined;
  return {
    kind: 'real',
    url,
    token,
    unprivilegedToken: env.CANARY_TEST_KUBE_APISERVER_UNPRIVILEGED_TOKEN ?? '',
    ca,
    request: (method, path, body, contentType) =>
      rawRequest({ url, token, ca }, method, path, body, contentType),
    close: async () => {},
  };
}

/** The servers to run a suite against, for `describe.each`. */
export const testServers: Array<[string, () => Promise<TestCluster>]> = [
  ['the fake API server', startFake],
  ...(realServerAvailable
    ? [
        ['a real kube-apiserver', startReal] as [
          string,
          () => Promise<TestCluster>,
        ],
      ]
    : []),
];

/** A fresh namespace on the cluster (tests never share objects, even on one real server). */
export async function createNamespace(
  cluster: TestCluster,
  prefix = 'canary-test',
): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const res = await cluster.request('POST', '/api/v1/namespaces', {
    metadata: { name },
  });
  if (res.status !== 201) {
    throw new Error(`creating namespace ${name}: ${JSON.stringify(res.body)}`);
  }
  return name;
}

/** The REST path of an object (or of the collection, without `name`). */
export function objectPath(
  type: ResourceType,
  namespace: string,
  name?: string,
  sub?: string,
) {
  const base = `/apis/${type.group}/${type.version}/namespaces/${namespace}/${type.plural}`;
  return [base, name, sub].filter(Boolean).join('/');
}

/** Creates an object as the admin; fails the test when the server refuses. */
export async function createObject<T = any>(
  cluster: TestCluster,
  type: ResourceType,
  namespace: string,
  object: object,
): Promise<T> {
  const res = await cluster.request('POST', objectPath(type, namespace), {
    apiVersion: `${type.group}/${type.version}`,
    kind: type.kind,
    ...object,
  });
  if (res.status !== 201) {
    throw new Error(`creating ${type.kind}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Reads an object as the admin. */
export async function readObject<T = any>(
  cluster: TestCluster,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<T> {
  const res = await cluster.request('GET', objectPath(type, namespace, name));
  if (res.status !== 200) {
    throw new Error(
      `reading ${type.kind} ${name}: ${JSON.stringify(res.body)}`,
    );
  }
  return res.body;
}

/** Reads an object, or undefined when it does not exist. */
export async function findObject<T = any>(
  cluster: TestCluster,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  const res = await cluster.request('GET', objectPath(type, namespace, name));
  return res.status === 404 ? undefined : res.body;
}

/** Changes an object as someone else would (a merge patch as the admin). */
export async function mergePatchObject(
  cluster: TestCluster,
  type: ResourceType,
  namespace: string,
  name: string,
  patch: object,
  sub?: string,
) {
  const res = await cluster.request(
    'PATCH',
    objectPath(type, namespace, name, sub),
    patch,
    'application/merge-patch+json',
  );
  if (res.status !== 200) {
    throw new Error(
      `patching ${type.kind} ${name}: ${JSON.stringify(res.body)}`,
    );
  }
  return res.body;
}

/**
 * What a Deployment controller and kubelets would do, as there is none: reports every replica
 * of the Deployment updated and ready for its current spec (`/status`).
 */
export async function markRolledOut(
  cluster: TestCluster,
  namespace: string,
  name: string,
) {
  const deployment = await readObject<Deployment>(
    cluster,
    DEPLOYMENTS,
    namespace,
    name,
  );
  const replicas = deployment.spec.replicas ?? 1;
  await mergePatchObject(
    cluster,
    DEPLOYMENTS,
    namespace,
    name,
    {
      status: {
        observedGeneration: deployment.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    },
    'status',
  );
}

/** The entity the suites release: their objects carry its ownership mark. */
export const TEST_ENTITY = 'component:default/shop';

/** The label that marks an object as TEST_ENTITY's. */
export const OWNED_BY_TEST_ENTITY = {
  [ENTITY_LABEL]: entityMark(TEST_ENTITY),
};

/**
 * A stable Deployment as a service owner writes it: pods labelled with their arm, the Deployment
 * with the ownership mark of TEST_ENTITY.
 */
export function stableDeployment(
  name: string,
  image: string,
  replicas: number,
): object {
  const labels = { app: name, 'canary.backstage.io/arm': 'stable' };
  return {
    metadata: {
      name,
      labels: { app: name, team: 'shop', ...OWNED_BY_TEST_ENTITY },
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          containers: [
            { name: 'app', image, ports: [{ containerPort: 8080 }] },
            { name: 'proxy', image: 'envoyproxy/envoy:v1.30.0' },
          ],
        },
      },
    },
  };
}

/** How a test reaches a cluster through the module's own code path. */
export interface ClusterAccess {
  /** Through a FaultProxy (plain HTTP, so skipTLSVerify) instead of directly. */
  proxy?: FaultProxy;
  /** The unprivileged token instead of the admin's. */
  unprivileged?: boolean;
}

/** The `kubernetes.clusterLocatorMethods` cluster entry of a test cluster. */
export function clusterEntry(
  cluster: TestCluster,
  name: string,
  access: ClusterAccess = {},
) {
  const direct = !access.proxy;
  return {
    name,
    url: access.proxy?.url ?? cluster.url,
    authProvider: 'serviceAccount',
    serviceAccountToken: access.unprivileged
      ? cluster.unprivilegedToken
      : cluster.token,
    ...(direct && cluster.ca
      ? { caData: Buffer.from(cluster.ca).toString('base64') }
      : { skipTLSVerify: true }),
  };
}

/** Fast retries for tests: failures surface in milliseconds, not seconds. */
export const FAST_RETRIES = {
  requestTimeout: '2s',
  retries: { attempts: 3, initialBackoff: '5ms', maxBackoff: '20ms' },
};

/** `canary.kubernetes` that opens `namespaces` of the cluster `test` to rollouts. */
export function allowing(...namespaces: string[]) {
  return { allowedNamespaces: { test: namespaces } };
}

/**
 * App config with one cluster `test` and `canary.kubernetes` as given (fast retries by default;
 * no namespace allowed unless `allowing` says).
 */
export function moduleConfig(
  cluster: TestCluster,
  access: ClusterAccess = {},
  canaryKubernetes: object = {},
) {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        { type: 'config', clusters: [clusterEntry(cluster, 'test', access)] },
      ],
    },
    canary: { kubernetes: { ...FAST_RETRIES, ...canaryKubernetes } },
  };
}

/** The module's cluster registry for a config, as the module builds it. */
export async function registryFor(config: object) {
  const k8s = await loadKubernetesClient();
  const settings = readModuleSettings(new ConfigReader(config));
  return { settings, clusters: ClusterRegistry.create(k8s, settings) };
}
