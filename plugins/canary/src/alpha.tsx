import CallSplitIcon from '@material-ui/icons/CallSplit';
import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { canaryApiRef, CanaryClient } from './api';
import { ENTITY_TAB_PATH } from './routes';

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
    path: ENTITY_TAB_PATH,
    title: 'Canary',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/CanaryContent').then(m => <m.CanaryContent />),
  },
});

/** The Canary page's route, for the new frontend system. */
const canaryPageRouteRef = createRouteRef();

/**
 * The Canary page at `/canary`, with its sidebar entry (the app's nav lists pages that have a
 * title and an icon): rollouts across the catalog and the audit trail.
 *
 * @alpha
 */
export const canaryPage = PageBlueprint.make({
  params: {
    path: '/canary',
    title: 'Canary',
    icon: <CallSplitIcon />,
    routeRef: canaryPageRouteRef,
    // The page has its own header, with the Rollouts and Audit tabs.
    noHeader: true,
    loader: () => import('./components/CanaryPage').then(m => <m.CanaryPage />),
  },
});

/**
 * The canary plugin for the new frontend system: the Canary page, the Canary entity tab and
 * their API.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'canary',
  title: 'Canary',
  info: { packageJson: () => import('../package.json') },
  routes: { root: canaryPageRouteRef },
  extensions: [canaryApi, entityCanaryContent, canaryPage],
});
