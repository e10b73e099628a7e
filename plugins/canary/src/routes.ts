import { createRouteRef } from '@backstage/core-plugin-api';

/** The Canary page (rollouts across the catalog and the audit trail), legacy frontend system. */
export const rootRouteRef = createRouteRef({ id: 'canary' });

/** Where the Canary tab of entities is mounted in the legacy frontend system. */
export const entityContentRouteRef = createRouteRef({
  id: 'canary-entity-content',
});

/** The path of the Canary tab under an entity's page. */
export const ENTITY_TAB_PATH = '/canary';
