import {
  ArmSample,
  RandomSource,
  RolloutTarget,
  Weights,
  createSeededRandom,
} from '@canary-release/backstage-plugin-canary-common';
import {
  MetricsProvider,
  TrafficRouter,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { canaryComponent, memoryProvidersModule } from '../src/testing';

/** The provider kind of the benchmark world, in the entities' canary annotations. */
export const BENCH_KIND = 'bench';

/**
 * Many services behind a router, a workload controller and a metrics provider that answer like
 * remote ones: every call waits a seeded random latency (5-30 ms by default). Healthy: the canary
 * serves as many errors as the stable version.
 */
export class LatencyWorld
  implements TrafficRouter, WorkloadController, MetricsProvider
{
  private readonly random: RandomSource;
  private readonly weights = new Map<string, Weights>();
  private readonly states = new Map<string, WorkloadState>();
  /** Provider calls made, by method. */
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly options: { seed: number; minMs: number; maxMs: number },
  ) {
    this.random = createSeededRandom(options.seed);
  }

  private async call(method: string) {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const { minMs, maxMs } = this.options;
    await sleep(minMs + (maxMs - minMs) * this.random());
  }

  async setWeights(target: RolloutTarget, weights: Weights) {
    await this.call('setWeights');
    this.weights.set(target.name, weights);
  }

  async getWeights(target: RolloutTarget) {
    await this.call('getWeights');
    return this.weights.get(target.name) ?? { stable: 100, canary: 0 };
  }

  async getState(target: RolloutTarget): Promise<WorkloadState> {
    await this.call('getState');
    return structuredClone(this.state(target));
  }

  async deployCanary(target: RolloutTarget, version: string) {
    await this.call('deployCanary');
    const state = this.state(target);
    this.states.set(target.name, {
      ...state,
      canary: { version, ready: true },
    });
  }

  async removeCanary(target: RolloutTarget) {
    await this.call('removeCanary');
    const { stable } = this.state(target);
    this.states.set(target.name, { stable });
  }

  async setStableVersion(target: RolloutTarget, version: string) {
    await this.call('setStableVersion');
    const state = this.state(target);
    this.states.set(target.name, {
      ...state,
      stable: { version, ready: true },
    });
  }

  async sample(
    target: RolloutTarget,
    arm: 'baseline' | 'canary',
  ): Promise<ArmSample> {
    await this.call('sample');
    const weights = this.weights.get(target.name) ?? { stable: 100, canary: 0 };
    const requests = 50 * weights[arm === 'baseline' ? 'stable' : 'canary'];
    const fast = Math.round(requests * 0.9);
    return {
      requests,
      errors: Math.round(requests * 0.002),
      latency: {
        bounds: [0.025, 0.05, 0.1, 0.25, 0.5, 1],
        counts: [fast, requests - fast, 0, 0, 0, 0, 0],
      },
    };
  }

  private state(target: RolloutTarget): WorkloadState {
    return (
      this.states.get(target.name) ?? {
        stable: { version: '1.0.0', ready: true },
      }
    );
  }

  /** A backend module registering this world as router, workload and metrics of kind `bench`. */
  module() {
    return memoryProvidersModule(this, BENCH_KIND);
  }
}

/** A catalog component set up for canary releases on the benchmark world. */
export function benchEntity(name: string) {
  return canaryComponent(name, { owner: 'team-bench' }, { kind: BENCH_KIND });
}
