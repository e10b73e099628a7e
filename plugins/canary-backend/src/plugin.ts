import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { canaryPermissions } from '@canary-release/backstage-plugin-canary-common';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createRouter } from './api/router';
import { parse } from './api/schemas';
import { ProviderRegistry } from './service/providers';
import { RolloutService } from './service/RolloutService';
import { RolloutStore } from './store/RolloutStore';
import {
  BUILT_IN_STRATEGY,
  parseDuration,
  resolveStrategy,
  strategyInputSchema,
} from './strategy/strategy';

/** How often the engine looks at active rollouts unless `canary.engine.tickInterval` says. */
const DEFAULT_TICK_INTERVAL = '5s';

/**
 * The canary backend plugin: the engine (a scheduled tick), its store and the `/api/canary` routes.
 *
 * @public
 */
export const canaryPlugin = createBackendPlugin({
  pluginId: 'canary',
  register(env) {
    const providers = new ProviderRegistry();
    env.registerExtensionPoint(canaryProvidersExtensionPoint, providers);

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler, httpRouter } = deps;
        const defaults = resolveStrategy(
          BUILT_IN_STRATEGY,
          parse(
            strategyInputSchema,
            config.getOptional('canary.defaults') ?? {},
            'canary.defaults in app-config',
          ),
        );
        const presetsConfig = config.getOptionalConfig('canary.presets');
        const presets = Object.fromEntries(
          (presetsConfig?.keys() ?? []).map(name => [
            name,
            resolveStrategy(
              defaults,
              parse(
                strategyInputSchema,
                presetsConfig!.get(name),
                `canary.presets.${name} in app-config`,
              ),
            ),
          ]),
        );
        const tickText =
          config.getOptionalString('canary.engine.tickInterval') ??
          DEFAULT_TICK_INTERVAL;
        const tickMs = parseDuration(tickText);
        if (tickMs === undefined) {
          throw new Error(
            `canary.engine.tickInterval "${tickText}" is not a duration`,
          );
        }

        deps.permissionsRegistry.addPermissions(canaryPermissions);
        const store = await RolloutStore.create(deps.database);
        const service = new RolloutService({
          store,
          providers,
          catalog: deps.catalog,
          auditor: deps.auditor,
          logger,
          defaults,
          presets,
        });

        // Global scope: one replica runs a tick at a time, coordinated through the database.
        await scheduler.scheduleTask({
          id: 'canary-engine-tick',
          scope: 'global',
          frequency: { milliseconds: tickMs },
          timeout: { minutes: 5 },
          fn: () => service.tickAll(),
        });

        httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            service,
            store,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
