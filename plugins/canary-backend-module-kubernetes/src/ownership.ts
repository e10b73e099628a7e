import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import { TargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import { createHash } from 'node:crypto';
import { KubeObject, ResourceType, resourceName } from './kube/resources';

/**
 * The ownership mark: a label that says which entity's canary releases may change an object. The
 * module changes nothing for a rollout unless the stable Deployment (for the workload) or the
 * routing object (for the router) carries it with the value of the rollout's entity, and it puts
 * the label on the Deployments it creates. Whoever may label objects in a namespace decides which
 * entity may release there; registering an entity in the catalog is not enough.
 */
export const ENTITY_LABEL = 'canary.backstage.io/entity';

/** The rule that refuses objects without the mark, as refusals name it. */
export const OWNERSHIP_RULE = 'ownership mark';

/**
 * The value of ENTITY_LABEL for an entity: the first 40 hex digits of the SHA-256 of its ref in
 * lower case (entity refs are case-insensitive; a label value holds at most 63 characters). In a
 * shell: `printf %s component:default/shop | sha256sum | cut -c1-40`.
 */
export function entityMark(entityRef: string): string {
  return createHash('sha256')
    .update(entityRef.toLocaleLowerCase('en-US'))
    .digest('hex')
    .slice(0, 40);
}

/** The mark of the target's entity; a refusal when the target names none. */
export function markOfTarget(target: RolloutTarget): string {
  if (!target.entityRef) {
    throw new TargetRefusedError(
      `The rollout of ${target.namespace}/${target.name} does not name its entity, so the objects it would change cannot be checked for their owner; launch it again`,
      OWNERSHIP_RULE,
    );
  }
  return entityMark(target.entityRef);
}

/** Refuses to change `object` (of `type`) unless it carries the mark of the target's entity. */
export function assertOwned(
  object: KubeObject,
  type: ResourceType,
  target: RolloutTarget,
): void {
  const mark = markOfTarget(target);
  const found = object.metadata.labels?.[ENTITY_LABEL];
  if (found === mark) return;
  const { namespace, name } = object.metadata;
  const what = `${type.kind} ${namespace}/${name}`;
  throw new TargetRefusedError(
    found === undefined
      ? `${what} lacks the label ${ENTITY_LABEL}=${mark} that marks it as ${
          target.entityRef
        }'s; add it to allow canary releases: kubectl label -n ${namespace} ${resourceName(
          type,
        )}/${name} ${ENTITY_LABEL}=${mark}`
      : `${what} carries the label ${ENTITY_LABEL}=${found}, which marks it as another entity's, not ${target.entityRef}'s (${mark})`,
    OWNERSHIP_RULE,
  );
}
