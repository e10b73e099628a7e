import { createBackendModule } from '@backstage/backend-plugin-api';
import type {
  ArmSample,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import {
  canaryProvidersExtensionPoint,
  MetricsProvider,
  TrafficRouter,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';

/** Latency of `n` requests, all between 25 and 50 ms. */
export const LATENCY = (n: number) => ({
  bounds: [0.025, 0.05, 0.1],
  counts: [0, n, 0, 0],
});

/**
 * An in-memory world for route and service tests: a router, a workload and metrics that do
 * exactly what they are told, and record every call.
 */
export class MemoryWorld
  implements TrafficRouter, WorkloadController, MetricsProvider
{
  weights: Weights = { stable: 100, canary: 0 };
  state: WorkloadState = { stable: { version: '1.0.0', ready: true } };
  /** Error rate per arm; each look serves 20 requests per percent of traffic an arm gets. */
  errorRates: Record<'baseline' | 'canary', number> = {
    baseline: 0.002,
    canary: 0.002,
  };
  calls: string[] = [];
  failWith?: Error;

  private check(call: string) {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
  }

  async setWeights(_target: RolloutTarget, weights: Weights) {
    this.check(`setWeights ${weights.stable}/${weights.canary}`);
    this.weights = weights;
  }

  async getWeights() {
    this.check('getWeights');
    return this.weights;
  }

  async getState() {
    this.check('getState');
    return structuredClone(this.state);
  }

  async deployCanary(_target: RolloutTarget, version: string, weight: number) {
    this.check(`deployCanary ${version} ${weight}`);
    this.state.canary = { version, ready: true };
  }

  async removeCanary() {
    this.check('removeCanary');
    delete this.state.canary;
  }

  async setStableVersion(_target: RolloutTarget, version: string) {
    this.check(`setStableVersion ${version}`);
    this.state.stable = { version, ready: true };
  }

  async sample(
    _target: RolloutTarget,
    arm: 'baseline' | 'canary',
  ): Promise<ArmSample> {
    this.check(`sample ${arm}`);
    const requests =
      20 * this.weights[arm === 'baseline' ? 'stable' : 'canary'];
    return {
      requests,
      errors: Math.round(requests * this.errorRates[arm]),
      latency: LATENCY(requests),
    };
  }
}

/**
 * A backend module registering `world` as the router, the workload controller and the metrics
 * provider of `kind` (`memory` by default).
 */
export function memoryProvidersModule(
  world: TrafficRouter & WorkloadController & MetricsProvider,
  kind = 'memory',
) {
  return createBackendModule({
    pluginId: 'canary',
    moduleId: `${kind}-world`,
    register(env) {
      env.registerInit({
        deps: { providers: canaryProvidersExtensionPoint },
        async init({ providers }) {
          providers.addTrafficRouter(kind, world);
          providers.addMetricsProvider(kind, world);
          providers.addWorkloadController(kind, world);
        },
      });
    },
  });
}
