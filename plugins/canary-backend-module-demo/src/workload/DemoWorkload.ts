import type {
  SampleWindow,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';
import type {
  Arm,
  ArmSample,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import { LoadGenerator, LoadGeneratorStats } from '../loadgen/LoadGenerator';
import { LOOPBACK } from '../loopback';
import {
  TimeBucketedCounter,
  TimeBucketedCounterOptions,
} from '../metrics/TimeBucketedCounter';
import type { RandomSource } from '@canary-release/backstage-plugin-canary-common';
import { WeightedRouter } from '../router/WeightedRouter';
import type { BehaviourResolver } from './behaviours';
import { DemoDeployment } from './DemoDeployment';

/** Options of a {@link DemoWorkload}. */
export interface DemoWorkloadOptions {
  namespace: string;
  name: string;
  /** The router's loopback port; 0 takes a free one. */
  port: number;
  /** The version stable runs at start, ready at once. */
  stableVersion: string;
  /** How long a newly deployed version takes to become ready, in milliseconds. */
  startupDelayMs: number;
  /** Load generator rate; 0 sends nothing. */
  requestsPerSecond: number;
  behaviours: BehaviourResolver;
  /** Default `Math.random`; tests pass a seeded one. */
  random?: RandomSource;
  /** The clock of the counters and of the versions' `regressAfterMs`; default `Date.now`. */
  now?: () => number;
  /** Bucket width and retention of the counters. */
  counters?: Omit<TimeBucketedCounterOptions, 'now'>;
  /** How long a removed canary may finish the requests it has, in milliseconds; default 2000. */
  drainMs?: number;
}

/**
 * One demo workload: a stable and (while deployed) a canary deployment, the weighted router in
 * front of them, per-arm counters fed by the router, and a load generator sending requests to
 * the router. Everything listens on loopback only.
 */
export class DemoWorkload {
  private readonly stable: DemoDeployment;
  private canary: DemoDeployment | undefined;
  /** Removed canaries still finishing their requests. */
  private readonly retiring = new Set<DemoDeployment>();
  private readonly router: WeightedRouter;
  private readonly counters: Record<Arm, TimeBucketedCounter>;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private loadGenerator: LoadGenerator | undefined;
  private closed: Promise<void> | undefined;

  /** Starts the servers, the router and the load generator. */
  static async start(options: DemoWorkloadOptions): Promise<DemoWorkload> {
    const workload = new DemoWorkload(options);
    try {
      await workload.listen();
    } catch (error) {
      await workload.close();
      throw new Error(
        `Could not start the canary demo workload ${workload.id} on ${LOOPBACK}: ${error}`,
        { cause: error },
      );
    }
    return workload;
  }

  private constructor(private readonly options: DemoWorkloadOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const counterOptions = { ...options.counters, now: this.now };
    this.counters = {
      baseline: new TimeBucketedCounter(counterOptions),
      canary: new TimeBucketedCounter(counterOptions),
    };
    this.stable = this.deployment('stable', options.stableVersion, true);
    this.router = new WeightedRouter({
      stable: this.stable,
      random: this.random,
      port: options.port,
      observe: (arm, error, latencySeconds) =>
        this.counters[arm].record(error, latencySeconds, this.now()),
    });
  }

  /** `namespace/name`, as the catalog entity names it. */
  get id(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /** The router's address: the demo service as its users see it. */
  get url(): string {
    return `http://${LOOPBACK}:${this.router.port}`;
  }

  /** What the load generator has done so far. */
  get load(): LoadGeneratorStats | undefined {
    return this.loadGenerator?.stats;
  }

  /** The versions deployed and whether they are ready. */
  getState(): WorkloadState {
    const state: WorkloadState = {
      stable: { version: this.stable.version, ready: this.stable.ready },
    };
    if (this.canary) {
      state.canary = { version: this.canary.version, ready: this.canary.ready };
    }
    return state;
  }

  /**
   * Deploys `version` as the canary: starts the canary server, or rolls the running one to the
   * new version. It takes traffic once ready. Idempotent.
   */
  async deployCanary(version: string): Promise<void> {
    this.assertOpen();
    if (this.canary) {
      this.canary.rollTo(version);
      await this.canary.start();
      return;
    }
    const canary = this.deployment('canary', version, false);
    this.canary = canary;
    this.router.canary = canary;
    await canary.start();
  }

  /** Removes the canary: traffic goes to stable at once, then its server closes. Idempotent. */
  async removeCanary(): Promise<void> {
    const canary = this.canary;
    if (!canary) {
      return;
    }
    this.canary = undefined;
    this.router.canary = undefined;
    this.retiring.add(canary);
    await canary.close(this.options.drainMs ?? 2000);
    this.retiring.delete(canary);
  }

  /** Rolls stable to `version`; the version before keeps serving until it is ready. Idempotent. */
  setStableVersion(version: string): void {
    this.assertOpen();
    this.stable.rollTo(version);
  }

  /** Sets the router's split; throws an `InputError` on invalid weights. */
  setWeights(weights: Weights): void {
    this.router.setWeights(weights);
  }

  /** The router's split as last set. */
  getWeights(): Weights {
    return this.router.getWeights();
  }

  /** Requests, errors and latencies the router saw for `arm` in the window. */
  sample(arm: Arm, window: SampleWindow): ArmSample {
    return this.counters[arm].sample(
      window.start.getTime(),
      window.end.getTime(),
    );
  }

  /** Stops the load generator and closes the router and every server. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = this.shutdown();
    }
    return this.closed;
  }

  private deployment(
    role: 'stable' | 'canary',
    version: string,
    readyAtStart: boolean,
  ): DemoDeployment {
    return new DemoDeployment({
      name: `${this.options.name}-${role}`,
      version,
      readyAtStart,
      startupDelayMs: this.options.startupDelayMs,
      behaviours: this.options.behaviours,
      random: this.random,
      now: this.now,
    });
  }

  private async listen(): Promise<void> {
    await this.stable.start();
    await this.router.listen();
    this.loadGenerator = new LoadGenerator({
      port: this.router.port,
      requestsPerSecond: this.options.requestsPerSecond,
    });
    this.loadGenerator.start();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error(`The demo workload ${this.id} has shut down`);
    }
  }

  private async shutdown(): Promise<void> {
    this.loadGenerator?.stop();
    const canary = this.canary;
    this.canary = undefined;
    this.router.canary = undefined;
    await Promise.all([
      this.router.close(),
      this.stable.close(0),
      canary?.close(0),
      ...[...this.retiring].map(retired => retired.close(0)),
    ]);
  }
}
