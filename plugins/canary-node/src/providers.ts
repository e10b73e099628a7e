import type {
  ArmSample,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';

/**
 * Moves traffic between the stable and the canary version (Istio VirtualService, Gateway API
 * HTTPRoute, the demo router, ...). Calls must be idempotent: the engine repeats them after a crash.
 *
 * @public
 */
export interface TrafficRouter {
  setWeights(target: RolloutTarget, weights: Weights): Promise<void>;
  getWeights(target: RolloutTarget): Promise<Weights>;
  /** See {@link WorkloadController.checkTarget}. */
  checkTarget?(target: RolloutTarget): Promise<void>;
}

/** The versions a workload runs and whether they are ready to take traffic. @public */
export interface WorkloadState {
  stable: { version: string; ready: boolean };
  /** Absent when no canary is deployed (or it is scaled to zero). */
  canary?: { version: string; ready: boolean };
}

/**
 * Deploys versions: the canary next to the stable workload, and the stable workload's own
 * version at promotion. Calls must be idempotent.
 *
 * @public
 */
export interface WorkloadController {
  getState(target: RolloutTarget): Promise<WorkloadState>;
  /**
   * Runs `version` as the canary, sized for `weight` percent of the traffic. With
   * `baselineVersion`, also runs a baseline of that (the stable) version at the canary's size, so
   * canary and baseline share age, size and traffic share (Spinnaker's canary practice).
   */
  deployCanary(
    target: RolloutTarget,
    version: string,
    weight: number,
    options?: DeployCanaryOptions,
  ): Promise<void>;
  /** Removes the canary (and the baseline, if any), or scales them to zero. */
  removeCanary(target: RolloutTarget): Promise<void>;
  /** Makes the stable workload run `version` (the promotion). */
  setStableVersion(target: RolloutTarget, version: string): Promise<void>;
  /**
   * Called at launch, before any other call: throws a TargetRefusedError when the provider will
   * not act on the target (a rule of its configuration, an ownership mark), so the launch is
   * refused with a 403 instead of a rollout that cannot run. A provider checks again before each
   * change it makes, as its rules can change while a rollout runs.
   */
  checkTarget?(target: RolloutTarget): Promise<void>;
}

/** @public */
export interface DeployCanaryOptions {
  /** Also run a baseline of this version next to the canary. */
  baselineVersion?: string;
}

/** A time window, start inclusive, end exclusive. @public */
export interface SampleWindow {
  start: Date;
  end: Date;
}

/** @public */
export interface SampleOptions {
  /**
   * True when the rollout runs a dedicated baseline: the `baseline` arm is then the baseline
   * pods, not the whole stable fleet.
   */
  dedicatedBaseline?: boolean;
}

/**
 * Reads counts for one arm over one window. Returns counts, not averages, so the judge can weigh
 * them. A provider that cannot answer throws; the engine records that look as having no data.
 *
 * @public
 */
export interface MetricsProvider {
  sample(
    target: RolloutTarget,
    arm: 'baseline' | 'canary',
    window: SampleWindow,
    options?: SampleOptions,
  ): Promise<ArmSample>;
}
