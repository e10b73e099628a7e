import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { canaryApiRef, CanaryClient } from './api';

/**
 * The canary client, for the new frontend system.
 *
 * @alpha
 */
export const canaryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: canaryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new CanaryClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The Canary tab on the pages of Component entities. Components without the annotations get
 * setup instructions.
 *
 * @alpha
 */
export const entityCanaryContent = EntityContentBlueprint.make({
  params: {
    path: '/canary',
    title: 'Canary',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/CanaryContent').then(m => <m.CanaryContent />),
  },
});

/**
 * The canary plugin for the new frontend system: the Canary entity tab and its API.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'canary',
  title: 'Canary',
  info: { packageJson: () => import('../package.json') },
  extensions: [canaryApi, entityCanaryContent],
});
