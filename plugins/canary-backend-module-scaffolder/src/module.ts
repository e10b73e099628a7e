import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createLaunchRolloutAction } from './actions/launchRollout';

/**
 * Adds the `canary:rollout:launch` action to the Scaffolder.
 *
 * @public
 */
export const scaffolderModuleCanary = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'canary',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, auth, discovery, config }) {
        scaffolder.addActions(
          createLaunchRolloutAction({
            auth,
            discovery,
            appBaseUrl: config.getString('app.baseUrl'),
          }),
        );
      },
    });
  },
});
