import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type {
  MetricsProvider,
  TrafficRouter,
  WorkloadController,
} from './providers';

/**
 * Lets backend modules add traffic routers, metrics providers and workload controllers to the
 * canary engine. Each is registered under a kind that entities name in their annotations
 * (`canary.backstage.io/router`, `canary.backstage.io/metrics`, `canary.backstage.io/workload`).
 *
 * @public
 */
export interface CanaryProvidersExtensionPoint {
  addTrafficRouter(kind: string, router: TrafficRouter): void;
  addMetricsProvider(kind: string, provider: MetricsProvider): void;
  addWorkloadController(kind: string, controller: WorkloadController): void;
}

/** @public */
export const canaryProvidersExtensionPoint =
  createExtensionPoint<CanaryProvidersExtensionPoint>({
    id: 'canary.providers',
  });
