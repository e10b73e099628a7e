import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import { PrometheusClient } from './client/PrometheusClient';
import { readPrometheusConfig } from './config';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';

/**
 * The Prometheus metrics provider: when `canary.prometheus.baseUrl` is configured, registers a
 * metrics provider of kind `prometheus` that reads each arm's requests, errors, latency histogram,
 * gauges and business ratios with the query templates of `canary.prometheus.queries`, and one of
 * kind `prometheus:<name>` for each query set of `canary.prometheus.querySets`.
 *
 * @public
 */
export const canaryModulePrometheus = createBackendModule({
  pluginId: 'canary',
  moduleId: 'prometheus',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        providers: canaryProvidersExtensionPoint,
      },
      async init({ config, logger, providers }) {
        const prometheus = readPrometheusConfig(config);
        if (!prometheus) {
          logger.info(
            'Canary Prometheus metrics are off (canary.prometheus.baseUrl is absent)',
          );
          return;
        }
        const client = new PrometheusClient(prometheus.client);
        for (const [kind, queries] of prometheus.querySets) {
          providers.addMetricsProvider(
            kind,
            new PrometheusMetricsProvider(client, queries, prometheus.tracks),
          );
        }
        logger.info(
          `Canary metrics from Prometheus at ${
            prometheus.client.baseUrl
          } as kinds ${[...prometheus.querySets.keys()].join(', ')}`,
        );
      },
    });
  },
});
