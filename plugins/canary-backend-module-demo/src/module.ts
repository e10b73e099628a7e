import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import { readDemoConfig } from './config';
import { DemoEnvironment } from './DemoEnvironment';
import {
  DEMO_KIND,
  DemoMetricsProvider,
  DemoTrafficRouter,
  DemoWorkloadController,
} from './providers';

/**
 * The embedded demo: when `canary.demo` is configured, starts on loopback a demo service in a
 * stable and a canary version behind a weighted router, with a load generator and per-arm
 * counters, and registers a traffic router, a workload controller and a metrics provider of
 * kind `demo` for it.
 *
 * @public
 */
export const canaryModuleDemo = createBackendModule({
  pluginId: 'canary',
  moduleId: 'demo',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        providers: canaryProvidersExtensionPoint,
      },
      async init({ config, logger, lifecycle, providers }) {
        const demo = readDemoConfig(config);
        if (!demo) {
          logger.info('Canary demo is off (canary.demo is absent or disabled)');
          return;
        }
        const environment = await DemoEnvironment.start(demo);
        lifecycle.addShutdownHook(() => environment.close());

        providers.addTrafficRouter(
          DEMO_KIND,
          new DemoTrafficRouter(environment),
        );
        providers.addWorkloadController(
          DEMO_KIND,
          new DemoWorkloadController(environment),
        );
        providers.addMetricsProvider(
          DEMO_KIND,
          new DemoMetricsProvider(environment),
        );
        for (const workload of environment.workloads) {
          logger.info(
            `Canary demo workload ${workload.id} serves at ${
              workload.url
            }: stable ${workload.getState().stable.version}, ${
              demo.requestsPerSecond
            } requests/s`,
          );
        }
      },
    });
  },
});
