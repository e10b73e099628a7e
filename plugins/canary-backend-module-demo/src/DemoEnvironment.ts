import { NotFoundError } from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type { DemoConfig } from './config';
import { createBehaviourResolver } from './workload/behaviours';
import { DemoWorkload, DemoWorkloadOptions } from './workload/DemoWorkload';

/** What tests may change in the workloads an environment starts. */
export type DemoEnvironmentOverrides = Partial<
  Pick<DemoWorkloadOptions, 'random' | 'now' | 'counters' | 'drainMs'>
>;

/** Every demo workload the config asks for, found by the target a rollout names. */
export class DemoEnvironment {
  private constructor(
    private readonly byId: ReadonlyMap<string, DemoWorkload>,
  ) {}

  /** Starts every configured workload; on failure closes those already started. */
  static async start(
    config: DemoConfig,
    overrides: DemoEnvironmentOverrides = {},
  ): Promise<DemoEnvironment> {
    const behaviours = createBehaviourResolver(config.versions);
    const started = new Map<string, DemoWorkload>();
    try {
      for (const workload of config.workloads) {
        const running = await DemoWorkload.start({
          ...workload,
          stableVersion: config.stableVersion,
          startupDelayMs: config.startupDelayMs,
          requestsPerSecond: config.requestsPerSecond,
          behaviours,
          ...overrides,
        });
        started.set(running.id, running);
      }
    } catch (error) {
      await Promise.all([...started.values()].map(w => w.close()));
      throw error;
    }
    return new DemoEnvironment(started);
  }

  /** Every running workload. */
  get workloads(): DemoWorkload[] {
    return [...this.byId.values()];
  }

  /** The workload a rollout targets; throws a `NotFoundError` when there is none. */
  get(target: RolloutTarget): DemoWorkload {
    const id = `${target.namespace || 'default'}/${target.name}`;
    const workload = this.byId.get(id);
    if (!workload) {
      throw new NotFoundError(
        `No demo workload ${id}; the demo runs ${[...this.byId.keys()].join(
          ', ',
        )} (canary.demo.workloads)`,
      );
    }
    return workload;
  }

  /** Shuts every workload down. */
  async close(): Promise<void> {
    await Promise.all(this.workloads.map(w => w.close()));
  }
}
