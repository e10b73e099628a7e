import { InputError } from '@backstage/errors';
import type {
  ArmSample,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type {
  MetricsProvider,
  SampleWindow,
  TrafficRouter,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';
import type { DemoEnvironment } from './DemoEnvironment';

/** The kind the demo providers are registered under (`canary.backstage.io/router: demo`, ...). */
export const DEMO_KIND = 'demo';

/** Moves traffic on a demo workload's weighted router. */
export class DemoTrafficRouter implements TrafficRouter {
  constructor(private readonly environment: DemoEnvironment) {}

  async setWeights(target: RolloutTarget, weights: Weights): Promise<void> {
    this.environment.get(target).setWeights(weights);
  }

  async getWeights(target: RolloutTarget): Promise<Weights> {
    return this.environment.get(target).getWeights();
  }
}

function assertVersion(version: string): void {
  if (typeof version !== 'string' || version.trim() === '') {
    throw new InputError(
      `Invalid version ${JSON.stringify(version)}: expected a non-empty string`,
    );
  }
}

/**
 * Deploys versions on a demo workload. One server serves any share of the traffic, so the
 * weight `deployCanary` is given does not change anything here.
 */
export class DemoWorkloadController implements WorkloadController {
  constructor(private readonly environment: DemoEnvironment) {}

  async getState(target: RolloutTarget): Promise<WorkloadState> {
    return this.environment.get(target).getState();
  }

  async deployCanary(target: RolloutTarget, version: string): Promise<void> {
    assertVersion(version);
    await this.environment.get(target).deployCanary(version);
  }

  async removeCanary(target: RolloutTarget): Promise<void> {
    await this.environment.get(target).removeCanary();
  }

  async setStableVersion(
    target: RolloutTarget,
    version: string,
  ): Promise<void> {
    assertVersion(version);
    this.environment.get(target).setStableVersion(version);
  }
}

/**
 * Reads the counters a demo workload's router keeps: `baseline` is the traffic the stable
 * deployment served, `canary` the traffic the canary deployment served.
 */
export class DemoMetricsProvider implements MetricsProvider {
  constructor(private readonly environment: DemoEnvironment) {}

  async sample(
    target: RolloutTarget,
    arm: 'baseline' | 'canary',
    window: SampleWindow,
  ): Promise<ArmSample> {
    return this.environment.get(target).sample(arm, window);
  }
}
