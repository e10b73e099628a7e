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
import { DemoWorldServer } from './world/DemoWorldServer';
import { RemoteDemoWorld } from './world/RemoteDemoWorld';

/**
 * The embedded demo: when `canary.demo` is configured, starts on loopback a demo service in a
 * stable and a canary version behind a weighted router, with a load generator and per-arm
 * counters, and registers a traffic router, a workload controller and a metrics provider of
 * kind `demo` for it. With `canary.demo.worldApi` it also serves that world over HTTP; with
 * `canary.demo.remote` it runs no world and its providers act on the one served there, so that
 * several backend replicas share one world.
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
        if (demo.remote) {
          const world = new RemoteDemoWorld(demo.remote);
          providers.addTrafficRouter(DEMO_KIND, world);
          providers.addWorkloadController(DEMO_KIND, world);
          providers.addMetricsProvider(DEMO_KIND, world);
          logger.info(`Canary demo: acting on the world at ${demo.remote}`);
          return;
        }
        const environment = await DemoEnvironment.start(demo);
        lifecycle.addShutdownHook(() => environment.close());
        if (demo.worldApiPort !== undefined) {
          const server = await DemoWorldServer.start(
            environment,
            demo.worldApiPort,
          );
          lifecycle.addShutdownHook(() => server.close());
          logger.info(`Canary demo world API serves at ${server.url}`);
        }

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
