import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { canaryApiRef, CanaryClient } from './api';
import { entityContentRouteRef, rootRouteRef } from './routes';

/**
 * The canary plugin for the legacy frontend system. The new frontend system uses the default
 * export of `@canary-release/backstage-plugin-canary/alpha`.
 *
 * @public
 */
export const canaryPlugin = createPlugin({
  id: 'canary',
  apis: [
    createApiFactory({
      api: canaryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new CanaryClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * The Canary tab for an entity page (legacy frontend system), e.g.
 * `<EntityLayout.Route path="/canary" title="Canary"><EntityCanaryContent /></EntityLayout.Route>`.
 * Entities without the annotations get setup instructions.
 *
 * @public
 */
export const EntityCanaryContent = canaryPlugin.provide(
  createRoutableExtension({
    name: 'EntityCanaryContent',
    component: () =>
      import('./components/CanaryContent').then(m => m.CanaryContent),
    mountPoint: entityContentRouteRef,
  }),
);

/**
 * The Canary page (legacy frontend system): rollouts across the catalog, launching one for any
 * set-up entity, and the audit trail with its export, e.g.
 * `<Route path="/canary" element={<CanaryPage />} />` and a sidebar item to `/canary`.
 *
 * @public
 */
export const CanaryPage = canaryPlugin.provide(
  createRoutableExtension({
    name: 'CanaryPage',
    component: () => import('./components/CanaryPage').then(m => m.CanaryPage),
    mountPoint: rootRouteRef,
  }),
);
