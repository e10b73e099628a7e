import { NotFoundError } from '@backstage/errors';
import { TargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import { SERVICEACCOUNT_CA_PATH } from '@backstage/plugin-kubernetes-common';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfiguredCluster, ModuleSettings } from '../config';
import { KubeClient, KubernetesClientModule } from '../kube/KubeClient';
import type { KubeClients } from './KubeClients';

/** The rule that limits the namespaces rollouts act in. */
export const ALLOWED_NAMESPACES_RULE = 'canary.kubernetes.allowedNamespaces';

/** The token of the pod's service account, next to the CA the Kubernetes plugin names. */
const SERVICEACCOUNT_TOKEN_PATH = path.join(
  path.dirname(SERVICEACCOUNT_CA_PATH),
  'token',
);

function fromConfiguredCluster(
  k8s: KubernetesClientModule,
  cluster: ConfiguredCluster,
): KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  const inPod = !cluster.serviceAccountToken;
  const caFile =
    cluster.caFile ??
    (inPod && !cluster.caData && fs.existsSync(SERVICEACCOUNT_CA_PATH)
      ? SERVICEACCOUNT_CA_PATH
      : undefined);
  kubeConfig.loadFromClusterAndUser(
    {
      name: cluster.name,
      server: cluster.url,
      caData: cluster.caData,
      caFile,
      skipTLSVerify: cluster.skipTLSVerify,
    },
    inPod
      ? {
          // Re-read on expiry, so projected (rotating) tokens keep working.
          name: 'canary-backend',
          authProvider: {
            name: 'tokenFile',
            config: { tokenFile: SERVICEACCOUNT_TOKEN_PATH },
          },
        }
      : { name: 'canary-backend', token: cluster.serviceAccountToken },
  );
  return kubeConfig;
}

function fromKubeconfig(
  k8s: KubernetesClientModule,
  { path: file, contexts }: { path: string; contexts?: string[] },
): Array<[string, KubeConfig]> {
  const loaded = new k8s.KubeConfig();
  try {
    loaded.loadFromFile(file);
  } catch (error) {
    throw new Error(
      `Invalid config canary.kubernetes.kubeconfig.path: cannot read ${file}: ${error}`,
    );
  }
  const available = loaded.getContexts().map(context => context.name);
  const wanted = contexts ?? available;
  const missing = wanted.filter(name => !available.includes(name));
  if (missing.length > 0) {
    throw new Error(
      `Invalid config canary.kubernetes.kubeconfig.contexts: ${file} has no context ${missing.join(
        ', ',
      )} (it has ${available.join(', ') || 'none'})`,
    );
  }
  return wanted.map(context => {
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: loaded.getClusters(),
      users: loaded.getUsers(),
      contexts: loaded.getContexts(),
      currentContext: context,
    });
    return [context, kubeConfig];
  });
}

function fromPod(k8s: KubernetesClientModule): KubeConfig {
  if (!process.env.KUBERNETES_SERVICE_HOST) {
    throw new Error(
      'Invalid config canary.kubernetes.inCluster: the backend does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)',
    );
  }
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromCluster();
  return kubeConfig;
}

/**
 * The clusters the module can drive, each with its client: those of Backstage's Kubernetes config
 * (`kubernetes.clusterLocatorMethods`, type `config`), then the contexts of
 * `canary.kubernetes.kubeconfig`, then the cluster the backend runs in
 * (`canary.kubernetes.inCluster`). A target picks one by `backstage.io/kubernetes-cluster`; a
 * target without it gets the first of that list. Only the namespaces
 * `canary.kubernetes.allowedNamespaces` lists for the cluster are reachable: every request the
 * module makes for a target goes through `clientFor`, which refuses the others.
 */
export class ClusterRegistry implements KubeClients {
  private constructor(
    private readonly clients: Map<string, KubeClient>,
    private readonly skipped: Map<string, string>,
    private readonly allowedNamespaces: Map<string, Set<string>>,
  ) {}

  /** Builds the clients (no request is sent yet); throws on invalid cluster config. */
  static create(
    k8s: KubernetesClientModule,
    settings: ModuleSettings,
  ): ClusterRegistry {
    const configs: Array<[string, KubeConfig]> = [
      ...settings.clusters.map(
        cluster =>
          [cluster.name, fromConfiguredCluster(k8s, cluster)] as [
            string,
            KubeConfig,
          ],
      ),
      ...(settings.kubeconfig ? fromKubeconfig(k8s, settings.kubeconfig) : []),
      ...(settings.inCluster
        ? [[settings.inCluster.name, fromPod(k8s)] as [string, KubeConfig]]
        : []),
    ];
    const clients = new Map<string, KubeClient>();
    for (const [name, kubeConfig] of configs) {
      if (clients.has(name)) {
        throw new Error(
          `Kubernetes cluster name "${name}" is configured twice for the canary module (cluster config, kubeconfig contexts and inCluster share one namespace of names)`,
        );
      }
      clients.set(
        name,
        KubeClient.create(k8s, name, kubeConfig, settings.requestPolicy),
      );
    }
    return new ClusterRegistry(
      clients,
      new Map(
        settings.skippedClusters.map(({ name, reason }) => [name, reason]),
      ),
      settings.allowedNamespaces,
    );
  }

  /** The names of the usable clusters, the default one first. */
  get names(): string[] {
    return [...this.clients.keys()];
  }

  clientFor(target: RolloutTarget): KubeClient {
    const name = target.cluster ?? this.names[0];
    const client = this.clients.get(name);
    if (client) {
      this.assertNamespaceAllowed(name, target.namespace);
      return client;
    }
    const skipped = this.skipped.get(name);
    throw new NotFoundError(
      skipped
        ? `Kubernetes cluster "${name}" cannot be used by the canary module: ${skipped}`
        : `No Kubernetes cluster "${name}" is configured for the canary module (configured: ${
            this.names.join(', ') || 'none'
          }); check the entity's backstage.io/kubernetes-cluster annotation`,
    );
  }

  private assertNamespaceAllowed(cluster: string, namespace: string) {
    const allowed = this.allowedNamespaces.get(cluster);
    if (allowed?.has(namespace)) return;
    throw new TargetRefusedError(
      `Canary releases may not act in namespace "${namespace}" of Kubernetes cluster "${cluster}": it is not listed in ${ALLOWED_NAMESPACES_RULE}.${cluster} (listed: ${
        allowed?.size ? [...allowed].join(', ') : 'none'
      })`,
      ALLOWED_NAMESPACES_RULE,
    );
  }
}
