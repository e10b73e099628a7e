import { NotFoundError } from '@backstage/errors';
import { TargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registryFor } from '../__testUtils__/testClusters';

const target = (cluster?: string, namespace = 'shop') => ({
  cluster,
  namespace,
  name: 'shop',
  router: 'istio',
  metrics: 'prometheus',
  workload: 'kubernetes',
});

const configured = (...names: string[]) => ({
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          ...names.map(name => ({
            name,
            url: `https://${name}.example:6443`,
            authProvider: 'serviceAccount',
            serviceAccountToken: 't',
          })),
          { name: 'eks', url: 'https://eks.example', authProvider: 'aws' },
        ],
      },
    ],
  },
  canary: {
    kubernetes: {
      allowedNamespaces: Object.fromEntries(
        names.map(name => [name, ['shop']]),
      ),
    },
  },
});

describe('ClusterRegistry', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-kubeconfig-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function kubeconfig(contexts: string[]) {
    const file = path.join(dir, `config-${contexts.join('-')}`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: contexts.map(c => ({
          name: c,
          cluster: { server: `https://${c}.example:6443` },
        })),
        users: [{ name: 'me', user: { token: 'secret' } }],
        contexts: contexts.map(c => ({
          name: c,
          context: { cluster: c, user: 'me' },
        })),
        'current-context': contexts[0],
      }),
    );
    return file;
  }

  it('gives the client of the cluster a target names, or of the first cluster', async () => {
    const { clusters } = await registryFor(configured('prod', 'staging'));
    expect(clusters.names).toEqual(['prod', 'staging']);
    expect(clusters.clientFor(target('staging')).cluster).toBe('staging');
    expect(clusters.clientFor(target()).cluster).toBe('prod');
  });

  it('names the clusters there are when a target names another, and why a skipped one cannot be used', async () => {
    const { clusters } = await registryFor(configured('prod'));
    expect(() => clusters.clientFor(target('dev'))).toThrow(NotFoundError);
    expect(() => clusters.clientFor(target('dev'))).toThrow(
      `No Kubernetes cluster "dev" is configured for the canary module (configured: prod); check the entity's backstage.io/kubernetes-cluster annotation`,
    );
    expect(() => clusters.clientFor(target('eks'))).toThrow(
      'Kubernetes cluster "eks" cannot be used by the canary module: its auth provider is aws; the canary module supports serviceAccount only',
    );
  });

  it('hands out a client only for a namespace canary.kubernetes.allowedNamespaces lists for the cluster', async () => {
    const { clusters } = await registryFor({
      ...configured('prod', 'staging', 'dev'),
      canary: {
        kubernetes: {
          allowedNamespaces: { prod: ['shop', 'payments'], staging: [] },
        },
      },
    });
    expect(clusters.clientFor(target('prod', 'payments')).cluster).toBe('prod');
    expect(clusters.clientFor(target(undefined, 'shop')).cluster).toBe('prod');
    expect(() => clusters.clientFor(target('prod', 'kube-system'))).toThrow(
      TargetRefusedError,
    );
    expect(() => clusters.clientFor(target('prod', 'kube-system'))).toThrow(
      'Canary releases may not act in namespace "kube-system" of Kubernetes cluster "prod": it is not listed in canary.kubernetes.allowedNamespaces.prod (listed: shop, payments) (rule: canary.kubernetes.allowedNamespaces)',
    );
    // A namespace allowed in one cluster is not allowed in another.
    expect(() => clusters.clientFor(target('staging', 'shop'))).toThrow(
      'it is not listed in canary.kubernetes.allowedNamespaces.staging (listed: none)',
    );
    expect(() => clusters.clientFor(target('dev', 'shop'))).toThrow(
      'it is not listed in canary.kubernetes.allowedNamespaces.dev (listed: none)',
    );
  });

  it('adds a cluster per kubeconfig context, after the configured ones', async () => {
    const file = kubeconfig(['kind-dev', 'kind-qa']);
    const { clusters } = await registryFor({
      ...configured('prod'),
      canary: { kubernetes: { kubeconfig: { path: file } } },
    });
    expect(clusters.names).toEqual(['prod', 'kind-dev', 'kind-qa']);
    const only = await registryFor({
      canary: {
        kubernetes: { kubeconfig: { path: file, contexts: ['kind-qa'] } },
      },
    });
    expect(only.clusters.names).toEqual(['kind-qa']);
  });

  it('fails at startup on kubeconfig trouble, duplicate names, and inCluster outside a cluster', async () => {
    const file = kubeconfig(['prod']);
    await expect(
      registryFor({
        canary: {
          kubernetes: { kubeconfig: { path: path.join(dir, 'none') } },
        },
      }),
    ).rejects.toThrow(/canary.kubernetes.kubeconfig.path: cannot read .*none/);
    await expect(
      registryFor({
        canary: {
          kubernetes: { kubeconfig: { path: file, contexts: ['qa'] } },
        },
      }),
    ).rejects.toThrow(
      `Invalid config canary.kubernetes.kubeconfig.contexts: ${file} has no context qa (it has prod)`,
    );
    await expect(
      registryFor({
        ...configured('prod'),
        canary: { kubernetes: { kubeconfig: { path: file } } },
      }),
    ).rejects.toThrow('Kubernetes cluster name "prod" is configured twice');
    const host = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(
        registryFor({ canary: { kubernetes: { inCluster: {} } } }),
      ).rejects.toThrow(
        'Invalid config canary.kubernetes.inCluster: the backend does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)',
      );
    } finally {
      if (host !== undefined) process.env.KUBERNETES_SERVICE_HOST = host;
    }
  });
});
