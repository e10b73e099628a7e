/** A namespaced API resource, as the REST paths name it. */
export interface ResourceType {
  /** API group; `''` for the core group. */
  group: string;
  version: string;
  /** Plural resource name, e.g. `deployments`. */
  plural: string;
  /** Kind, for messages. */
  kind: string;
}

/** `group/plural`, as RBAC rules and kubectl name a resource (`deployments.apps`). */
export function resourceName(type: ResourceType, subresource?: string) {
  const plural = subresource ? `${type.plural}/${subresource}` : type.plural;
  return type.group ? `${plural}.${type.group}` : plural;
}

/** `apiVersion` of objects of `type`. */
export function apiVersionOf(type: ResourceType) {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** apps/v1 Deployments. */
export const DEPLOYMENTS: ResourceType = {
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  kind: 'Deployment',
};

/** Istio's VirtualService in one of the versions Istio serves. */
export function virtualServices(version: 'v1' | 'v1beta1'): ResourceType {
  return {
    group: 'networking.istio.io',
    version,
    plural: 'virtualservices',
    kind: 'VirtualService',
  };
}

/** Gateway API HTTPRoutes (`gateway.networking.k8s.io/v1`). */
export const HTTP_ROUTES: ResourceType = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
  kind: 'HTTPRoute',
};

/** The metadata fields this module reads and writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
}

/** Any Kubernetes object, as JSON: fields this module does not know pass through untouched. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A container of a pod template (only what the workload controller reads). */
export interface Container {
  name: string;
  image?: string;
  [field: string]: unknown;
}

/** A pod template (only what the workload controller reads). */
export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: { containers: Container[]; [field: string]: unknown };
}

/** A label selector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}

/** An apps/v1 Deployment (only what the workload controller reads). */
export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    [field: string]: unknown;
  };
}
