import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CANARY_ANNOTATIONS,
  KUBERNETES_ANNOTATIONS,
  RolloutTarget,
} from '@canary-release/backstage-plugin-canary-common';

/** Reads where a rollout of `entity` acts from its annotations. */
export function targetOfEntity(entity: Entity): RolloutTarget {
  const annotations = entity.metadata.annotations ?? {};
  const router = annotations[CANARY_ANNOTATIONS.router];
  const name = annotations[KUBERNETES_ANNOTATIONS.id];
  const missing = [
    !router && CANARY_ANNOTATIONS.router,
    !name && KUBERNETES_ANNOTATIONS.id,
  ].filter(Boolean);
  const entityRef = stringifyEntityRef(entity);
  if (missing.length > 0) {
    throw new InputError(
      `${entityRef} is not set up for canary releases: it lacks the annotation(s) ${missing.join(
        ', ',
      )}`,
    );
  }
  return {
    entityRef,
    cluster: annotations[KUBERNETES_ANNOTATIONS.cluster],
    namespace: annotations[KUBERNETES_ANNOTATIONS.namespace] ?? 'default',
    name,
    router,
    routerObject: annotations[CANARY_ANNOTATIONS.routerObject],
    metrics: annotations[CANARY_ANNOTATIONS.metrics] ?? 'prometheus',
    workload: annotations[CANARY_ANNOTATIONS.workload] ?? 'kubernetes',
  };
}
