import type { Entity } from '@backstage/catalog-model';

/** Our own annotations; the `backstage.io/kubernetes-*` ones are reused for the workload. @public */
export const CANARY_ANNOTATIONS = {
  /** Opts an entity in: the traffic router kind (`istio`, `gateway-api`, `demo`). */
  router: 'canary.backstage.io/router',
  /** The router's object (VirtualService or HTTPRoute name); defaults to the workload name. */
  routerObject: 'canary.backstage.io/router-object',
  /** The metrics provider kind (`prometheus`, `demo`); defaults to `prometheus`. */
  metrics: 'canary.backstage.io/metrics',
  /** The workload controller kind (`kubernetes`, `demo`); defaults to `kubernetes`. */
  workload: 'canary.backstage.io/workload',
  /** The strategy preset (a key of `canary.presets` in app-config) rollouts of the entity use. */
  preset: 'canary.backstage.io/preset',
} as const;

/** The Kubernetes annotations Backstage already defines, reused here. @public */
export const KUBERNETES_ANNOTATIONS = {
  id: 'backstage.io/kubernetes-id',
  namespace: 'backstage.io/kubernetes-namespace',
  cluster: 'backstage.io/kubernetes-cluster',
} as const;

/** True when the entity carries what a rollout needs. @public */
export function isCanaryAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[CANARY_ANNOTATIONS.router] &&
      annotations[KUBERNETES_ANNOTATIONS.id],
  );
}
