import {
  Rollout,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import type { CanaryApi } from './CanaryApi';
import { sleep } from './BackendProcess';

/** The versions to roll out on each entity, in order. */
export type RolloutPlan = Record<string, string[]>;

/** What the driver saw at its last look. */
export interface DriverView {
  rollouts: Rollout[];
  /** Rollouts not yet in a final phase. */
  active: number;
  /** Every planned rollout was launched and is final. */
  done: boolean;
}

/**
 * Launches the planned rollouts, each entity's one after the other, as the store says: an entity
 * gets its next rollout once the store holds no active one for it. The store, not what the driver
 * sent, decides: a launch whose answer was lost in a crash is seen in the next listing, so no
 * rollout is launched twice. Keeps going through backend restarts (calls fail meanwhile).
 */
export class RolloutDriver {
  /** The last listing the driver could read. */
  view: DriverView = { rollouts: [], active: 0, done: false };

  constructor(
    private readonly api: () => CanaryApi,
    private readonly plan: RolloutPlan,
  ) {}

  /** The total of planned rollouts. */
  get planned(): number {
    return Object.values(this.plan).reduce((n, v) => n + v.length, 0);
  }

  /** Lists the rollouts and launches what is due; throws while the backend is down. */
  async step(): Promise<DriverView> {
    const rollouts = await this.api().rollouts();
    for (const [entityRef, versions] of Object.entries(this.plan)) {
      const mine = rollouts.filter(r => r.entityRef === entityRef);
      if (
        mine.length < versions.length &&
        mine.every(r => isFinalPhase(r.phase))
      ) {
        rollouts.push(
          await this.api().launch(entityRef, versions[mine.length]),
        );
      }
    }
    const active = rollouts.filter(r => !isFinalPhase(r.phase)).length;
    this.view = {
      rollouts,
      active,
      done: active === 0 && rollouts.length === this.planned,
    };
    return this.view;
  }

  /** Steps every `everyMs` until every planned rollout is final; fails after `timeoutMs`. */
  async run(options: {
    timeoutMs: number;
    everyMs?: number;
  }): Promise<Rollout[]> {
    const deadline = Date.now() + options.timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        if ((await this.step()).done) return this.view.rollouts;
      } catch (error) {
        lastError = error; // the backend is down or restarting
      }
      await sleep(options.everyMs ?? 300);
    }
    const stuck = this.view.rollouts
      .filter(r => !isFinalPhase(r.phase))
      .map(r => `${r.entityRef} ${r.canaryVersion}: ${r.phase} ${r.message}`);
    throw new Error(
      `${this.view.rollouts.length}/${
        this.planned
      } rollouts launched, not all final after ${
        options.timeoutMs
      } ms. Not final: ${stuck.join('; ') || 'none'}. Last error: ${lastError}`,
    );
  }
}
