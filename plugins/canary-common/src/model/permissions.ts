import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Rollout permissions are resource permissions on the catalog entity, so a policy can allow them to
 * the entity's owners with the catalog's own conditions (`isEntityOwner`).
 */
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/** See rollouts, their analysis and their audit trail. @public */
export const canaryRolloutReadPermission = createPermission({
  name: 'canary.rollout.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Launch a rollout of an entity. @public */
export const canaryRolloutLaunchPermission = createPermission({
  name: 'canary.rollout.launch',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Send a `strategy` in a launch request, overriding the configured one (within the fields
 * `canary.policy.overridable` lists and the policy's floors). Choosing a configured preset needs
 * only the launch permission. @public
 */
export const canaryRolloutOverridePermission = createPermission({
  name: 'canary.rollout.override',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Pause, resume, promote, approve, abort or retry a rollout. @public */
export const canaryRolloutControlPermission = createPermission({
  name: 'canary.rollout.control',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Verify the whole audit trail's chain (`GET /audit/verify` without `rolloutId`): not tied to an
 * entity, since the chain runs through every rollout's events. @public
 */
export const canaryAuditVerifyPermission = createPermission({
  name: 'canary.audit.verify',
  attributes: { action: 'read' },
});

/** @public */
export const canaryPermissions = [
  canaryRolloutReadPermission,
  canaryRolloutLaunchPermission,
  canaryRolloutOverridePermission,
  canaryRolloutControlPermission,
  canaryAuditVerifyPermission,
];
