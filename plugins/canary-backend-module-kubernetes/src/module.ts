import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import {
  ALLOWED_NAMESPACES_RULE,
  ClusterRegistry,
} from './clusters/ClusterRegistry';
import { readModuleSettings } from './config';
import { loadKubernetesClient } from './kube/loadClient';
import {
  GATEWAY_API_ROUTER_KIND,
  GatewayApiTrafficRouter,
} from './routers/GatewayApiTrafficRouter';
import {
  ISTIO_ROUTER_KIND,
  IstioTrafficRouter,
} from './routers/IstioTrafficRouter';
import {
  KUBERNETES_WORKLOAD_KIND,
  KubernetesWorkloadController,
} from './workload/KubernetesWorkloadController';

/**
 * Drives canary rollouts on Kubernetes: registers the traffic routers `istio` (VirtualService)
 * and `gateway-api` (HTTPRoute) and the workload controller `kubernetes` (Deployments) with the
 * canary engine, for the clusters of Backstage's Kubernetes config
 * (`kubernetes.clusterLocatorMethods`), of `canary.kubernetes.kubeconfig` and of
 * `canary.kubernetes.inCluster`. Registers nothing when no cluster is configured; invalid config
 * fails the backend's startup with an error naming the key. Rollouts act only in the namespaces
 * of `canary.kubernetes.allowedNamespaces`, on objects that carry their entity's ownership mark.
 *
 * @public
 */
export const canaryModuleKubernetes = createBackendModule({
  pluginId: 'canary',
  moduleId: 'kubernetes',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        providers: canaryProvidersExtensionPoint,
      },
      async init({ config, logger, providers }) {
        const settings = readModuleSettings(config);
        for (const { name, reason } of settings.skippedClusters) {
          logger.warn(
            `Canary rollouts cannot use Kubernetes cluster "${name}": ${reason}`,
          );
        }
        const k8s = await loadKubernetesClient();
        const clusters = ClusterRegistry.create(k8s, settings);
        if (clusters.names.length === 0) {
          logger.info(
            'Canary Kubernetes providers are off: no cluster in kubernetes.clusterLocatorMethods, canary.kubernetes.kubeconfig or canary.kubernetes.inCluster',
          );
          return;
        }
        for (const name of settings.allowedNamespaces.keys()) {
          if (!clusters.names.includes(name)) {
            logger.warn(
              `canary.kubernetes.allowedNamespaces names "${name}", which is no cluster of the canary module (clusters: ${clusters.names.join(
                ', ',
              )})`,
            );
          }
        }
        const routerOptions = {
          routing: settings.routing,
          conflictAttempts: settings.conflictAttempts,
        };
        providers.addTrafficRouter(
          ISTIO_ROUTER_KIND,
          new IstioTrafficRouter(clusters, {
            ...routerOptions,
            apiVersion: settings.istioApiVersion,
          }),
        );
        providers.addTrafficRouter(
          GATEWAY_API_ROUTER_KIND,
          new GatewayApiTrafficRouter(clusters, routerOptions),
        );
        providers.addWorkloadController(
          KUBERNETES_WORKLOAD_KIND,
          new KubernetesWorkloadController(clusters, {
            ...settings.workload,
            conflictAttempts: settings.conflictAttempts,
          }),
        );
        const namespaces = clusters.names.map(
          name =>
            `${name}: ${
              [...(settings.allowedNamespaces.get(name) ?? [])].join(', ') ||
              'none'
            }`,
        );
        logger.info(
          `Canary Kubernetes providers (routers ${ISTIO_ROUTER_KIND}, ${GATEWAY_API_ROUTER_KIND}; workload ${KUBERNETES_WORKLOAD_KIND}) for clusters ${clusters.names.join(
            ', ',
          )} (default ${
            clusters.names[0]
          }); namespaces allowed (${ALLOWED_NAMESPACES_RULE}): ${namespaces.join(
            '; ',
          )}`,
        );
      },
    });
  },
});
