import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the Canary tab is mounted in the legacy frontend system. */
export const rootRouteRef = createRouteRef({ id: 'canary' });
