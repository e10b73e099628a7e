import { Config, readDurationFromConfig } from '@backstage/config';
import { ANNOTATION_KUBERNETES_AUTH_PROVIDER } from '@backstage/plugin-kubernetes-common';
import type { RequestPolicy } from './kube/KubeClient';
import type {
  RequestCondition,
  RoutingSettings,
  StickySessions,
} from './routers/routing';
import type { ScalingSettings } from './workload/deployments';

/** A cluster of `kubernetes.clusterLocatorMethods` (type `config`) this module can use. */
export interface ConfiguredCluster {
  name: string;
  url: string;
  /** Absent: the pod's own service-account token. */
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
}

/** A cluster of that config this module cannot use, and why. */
export interface SkippedCluster {
  name: string;
  reason: string;
}

/** Everything the module reads from config, checked, with defaults filled in. */
export interface ModuleSettings {
  clusters: ConfiguredCluster[];
  skippedClusters: SkippedCluster[];
  kubeconfig?: { path: string; contexts?: string[] };
  inCluster?: { name: string };
  requestPolicy: RequestPolicy;
  conflictAttempts: number;
  istioApiVersion: 'v1' | 'v1beta1';
  routing: RoutingSettings;
  workload: { container?: string; scaling: ScalingSettings };
  /** `canary.kubernetes.allowedNamespaces`: per cluster name, the namespaces rollouts may act in. */
  allowedNamespaces: Map<string, Set<string>>;
}

/** The header that sends a request to the canary unless `routing.requestMatches` says otherwise. */
export const DEFAULT_REQUEST_MATCHES: RequestCondition[] = [
  { kind: 'header', name: 'canary', value: 'true' },
];

/** A namespace name: a DNS-1123 label. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An HTTP header or cookie name (an RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function invalid(key: string, why: string): Error {
  return new Error(`Invalid config ${key}: ${why}`);
}

/** Milliseconds of a duration key (`10s`, ISO 8601, or `{ seconds: 10 }`), or the fallback. */
function readDurationMs(
  config: Config | undefined,
  key: string,
  path: string,
  fallbackMs: number,
): number {
  if (!config?.has(key)) return fallbackMs;
  const duration = readDurationFromConfig(config, { key });
  const unitMs: Record<string, number> = {
    milliseconds: 1,
    seconds: 1000,
    minutes: 60_000,
    hours: 3_600_000,
    days: 86_400_000,
    weeks: 604_800_000,
  };
  let total = 0;
  for (const [unit, value] of Object.entries(duration)) {
    if (unitMs[unit] === undefined) {
      throw invalid(path, `use weeks or shorter units, not ${unit}`);
    }
    total += (value ?? 0) * unitMs[unit];
  }
  if (!(total > 0)) throw invalid(path, 'expected a duration above zero');
  return total;
}

function readInteger(
  config: Config | undefined,
  key: string,
  path: string,
  limits: { fallback: number; min: number; max: number },
): number {
  const value = config?.getOptionalNumber(key) ?? limits.fallback;
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw invalid(
      path,
      `${value}, expected an integer ${limits.min}-${limits.max}`,
    );
  }
  return value;
}

/** The clusters of `kubernetes.clusterLocatorMethods` entries of type `config`. */
function readConfiguredClusters(root: Config) {
  const clusters: ConfiguredCluster[] = [];
  const skippedClusters: SkippedCluster[] = [];
  const methods =
    root.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  methods.forEach((method, m) => {
    if (method.getString('type') !== 'config') return;
    (method.getOptionalConfigArray('clusters') ?? []).forEach((cluster, c) => {
      const path = `kubernetes.clusterLocatorMethods[${m}].clusters[${c}]`;
      const name = cluster.getString('name');
      const authMetadata =
        cluster.getOptional<Record<string, unknown>>('authMetadata');
      const authProvider =
        authMetadata?.[ANNOTATION_KUBERNETES_AUTH_PROVIDER] ??
        cluster.getOptionalString('authProvider');
      if (typeof authProvider !== 'string') {
        // The Kubernetes plugin's own rule, so that both read the same config the same way.
        throw invalid(
          path,
          `cluster '${name}' has no auth provider configured; this must be specified via the 'authProvider' or 'authMetadata.${ANNOTATION_KUBERNETES_AUTH_PROVIDER}' parameter`,
        );
      }
      if (authProvider !== 'serviceAccount') {
        skippedClusters.push({
          name,
          reason: `its auth provider is ${authProvider}; the canary module supports serviceAccount only`,
        });
        return;
      }
      const url = cluster.getString('url');
      const skipTLSVerify =
        cluster.getOptionalBoolean('skipTLSVerify') ?? false;
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw invalid(`${path}.url`, `${JSON.stringify(url)} is not a URL`);
      }
      if (protocol !== 'https:' && !(protocol === 'http:' && skipTLSVerify)) {
        throw invalid(
          `${path}.url`,
          `${url}: use https (plain http only with skipTLSVerify: true)`,
        );
      }
      clusters.push({
        name,
        url,
        serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
        caData: cluster.getOptionalString('caData'),
        caFile: cluster.getOptionalString('caFile'),
        skipTLSVerify,
      });
    });
  });
  return { clusters, skippedClusters };
}

/** One entry of `routing.requestMatches`. */
function readRequestMatch(entry: Config, path: string): RequestCondition {
  const kinds = ['header', 'cookie', 'userAgent'].filter(k => entry.has(k));
  if (kinds.length !== 1) {
    throw invalid(path, 'expected exactly one of header, cookie, userAgent');
  }
  const kind = kinds[0];
  const block = entry.getConfig(kind);
  const regex = block.getOptionalString('regex');
  if (regex !== undefined) {
    try {
      new RegExp(regex); // eslint-disable-line no-new
    } catch (error) {
      throw invalid(`${path}.${kind}.regex`, String(error));
    }
    if (regex === '') throw invalid(`${path}.${kind}.regex`, 'is empty');
  }
  if (kind === 'userAgent') {
    if (regex === undefined) throw invalid(`${path}.userAgent`, 'needs regex');
    return { kind, regex };
  }
  const name = block.getString('name');
  if (!TOKEN.test(name)) {
    throw invalid(
      `${path}.${kind}.name`,
      `${JSON.stringify(name)} is not a valid name`,
    );
  }
  const value = block.getOptionalString('value');
  if ((value === undefined) === (regex === undefined)) {
    throw invalid(`${path}.${kind}`, 'expected exactly one of value, regex');
  }
  return kind === 'header'
    ? { kind, name, value, regex }
    : { kind: 'cookie', name, value, regex };
}

function readRouting(config: Config | undefined): RoutingSettings {
  const base = 'canary.kubernetes.routing';
  const entries = config?.getOptionalConfigArray('requestMatches');
  const requestMatches = entries
    ? entries.map((entry, i) =>
        readRequestMatch(entry, `${base}.requestMatches[${i}]`),
      )
    : DEFAULT_REQUEST_MATCHES;
  const stickyConfig = config?.getOptionalConfig('stickySessions');
  let sticky: StickySessions | undefined;
  if (stickyConfig?.getOptionalBoolean('enabled')) {
    const cookieName =
      stickyConfig.getOptionalString('cookieName') ?? 'canary-release-session';
    if (!TOKEN.test(cookieName)) {
      throw invalid(
        `${base}.stickySessions.cookieName`,
        `${JSON.stringify(cookieName)} is not a valid cookie name`,
      );
    }
    const maxAgeMs = readDurationMs(
      stickyConfig,
      'maxAge',
      `${base}.stickySessions.maxAge`,
      3_600_000,
    );
    sticky = { cookieName, maxAgeSeconds: Math.ceil(maxAgeMs / 1000) };
  }
  return { requestMatches, ...(sticky && { sticky }) };
}

function readScaling(config: Config | undefined): ScalingSettings {
  const path = 'canary.kubernetes.workload.scaling';
  const mode = config?.getOptionalString('mode') ?? 'proportional';
  if (mode !== 'proportional' && mode !== 'off') {
    throw invalid(`${path}.mode`, `${mode}, expected proportional or off`);
  }
  return {
    mode,
    minReplicas: readInteger(config, 'minReplicas', `${path}.minReplicas`, {
      fallback: 1,
      min: 1,
      max: 1000,
    }),
  };
}

/**
 * `canary.kubernetes.allowedNamespaces`: a list of namespace names per cluster name. Kubernetes'
 * own namespaces (`kube-system`, `kube-public`, ... : the `kube-` prefix is reserved) cannot be
 * listed: no canary release has business there.
 */
function readAllowedNamespaces(
  config: Config | undefined,
): Map<string, Set<string>> {
  const path = 'canary.kubernetes.allowedNamespaces';
  // Read raw: cluster names may hold dots, which config paths would take as nesting.
  const value = config?.getOptional('allowedNamespaces') ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'expected an object of cluster name: [namespaces]');
  }
  const allowed = new Map<string, Set<string>>();
  for (const [cluster, namespaces] of Object.entries(value)) {
    const key = `${path}.${cluster}`;
    if (!Array.isArray(namespaces)) {
      throw invalid(key, 'expected a list of namespace names');
    }
    for (const namespace of namespaces) {
      if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
        throw invalid(
          key,
          `${JSON.stringify(namespace)} is not a namespace name`,
        );
      }
      if (namespace.startsWith('kube-')) {
        throw invalid(
          key,
          `${namespace} is one of Kubernetes' own namespaces (kube- prefix); canary releases cannot act there`,
        );
      }
    }
    allowed.set(cluster, new Set(namespaces as string[]));
  }
  return allowed;
}

/**
 * Reads and checks this module's config: the clusters (Backstage's Kubernetes config, a kubeconfig
 * file, the cluster the backend runs in) and `canary.kubernetes`. Throws an error naming the key
 * on invalid values.
 */
export function readModuleSettings(root: Config): ModuleSettings {
  const config = root.getOptionalConfig('canary.kubernetes');
  const path = 'canary.kubernetes';
  const { clusters, skippedClusters } = readConfiguredClusters(root);

  const kubeconfigConfig = config?.getOptionalConfig('kubeconfig');
  const kubeconfig = kubeconfigConfig && {
    path: kubeconfigConfig.getString('path'),
    contexts: kubeconfigConfig.getOptionalStringArray('contexts'),
  };
  const inClusterConfig = config?.getOptionalConfig('inCluster');
  const inCluster =
    inClusterConfig && inClusterConfig.getOptionalBoolean('enabled') !== false
      ? { name: inClusterConfig.getOptionalString('name') ?? 'in-cluster' }
      : undefined;

  const retries = config?.getOptionalConfig('retries');
  const initialBackoffMs = readDurationMs(
    retries,
    'initialBackoff',
    `${path}.retries.initialBackoff`,
    200,
  );
  const maxBackoffMs = readDurationMs(
    retries,
    'maxBackoff',
    `${path}.retries.maxBackoff`,
    5000,
  );
  if (maxBackoffMs < initialBackoffMs) {
    throw invalid(
      `${path}.retries.maxBackoff`,
      'is shorter than initialBackoff',
    );
  }

  const istioApiVersion = config?.getOptionalString('istio.apiVersion') ?? 'v1';
  if (istioApiVersion !== 'v1' && istioApiVersion !== 'v1beta1') {
    throw invalid(
      `${path}.istio.apiVersion`,
      `${istioApiVersion}, expected v1 or v1beta1`,
    );
  }

  return {
    clusters,
    skippedClusters,
    ...(kubeconfig && { kubeconfig }),
    ...(inCluster && { inCluster }),
    requestPolicy: {
      timeoutMs: readDurationMs(
        config,
        'requestTimeout',
        `${path}.requestTimeout`,
        10_000,
      ),
      attempts: readInteger(retries, 'attempts', `${path}.retries.attempts`, {
        fallback: 4,
        min: 1,
        max: 10,
      }),
      initialBackoffMs,
      maxBackoffMs,
    },
    conflictAttempts: readInteger(
      config,
      'conflictAttempts',
      `${path}.conflictAttempts`,
      { fallback: 5, min: 1, max: 20 },
    ),
    istioApiVersion,
    routing: readRouting(config?.getOptionalConfig('routing')),
    workload: {
      container: config?.getOptionalString('workload.container'),
      scaling: readScaling(config?.getOptionalConfig('workload.scaling')),
    },
    allowedNamespaces: readAllowedNamespaces(config),
  };
}
