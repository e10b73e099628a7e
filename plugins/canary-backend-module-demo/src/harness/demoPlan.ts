import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import type { RolloutPlan } from './RolloutDriver';

/** A plan of demo rollouts over several workloads, healthy and bad versions mixed. */
export interface DemoPlan {
  plan: RolloutPlan;
  /** Versions that fail half their requests: they must end RolledBack. */
  bad: Set<string>;
  /** The `canary.demo` workloads and versions that serve the plan. */
  demo: {
    workloads: Array<{ name: string }>;
    versions: Record<string, { errorRate: number }>;
  };
}

/**
 * `rollouts` rollouts spread over `targets` demo workloads `shop-<n>` (rollout i on workload
 * i mod targets), each bad with probability `badShare` by a seeded draw: the same seed gives the
 * same plan. Healthy versions (`2.<round>.<n>`) and stable serve without errors; bad ones
 * (`9.<round>.<n>`) fail half their requests. The first rollout is healthy and the second bad, so
 * both outcomes occur.
 */
export function demoPlan(options: {
  targets: number;
  rollouts: number;
  seed: number;
  badShare?: number;
}): DemoPlan {
  const random = createSeededRandom(options.seed);
  const plan: RolloutPlan = {};
  const bad = new Set<string>();
  const versions: Record<string, { errorRate: number }> = {
    '1.0.0': { errorRate: 0 },
  };
  for (let i = 0; i < options.rollouts; i++) {
    const target = i % options.targets;
    const round = Math.floor(i / options.targets);
    const isBad = i === 1 || (i !== 0 && random() < (options.badShare ?? 0.3));
    const version = `${isBad ? 9 : 2}.${round}.${target}`;
    versions[version] = { errorRate: isBad ? 0.5 : 0 };
    if (isBad) bad.add(version);
    const entityRef = `component:default/shop-${target}`;
    (plan[entityRef] ??= []).push(version);
  }
  return {
    plan,
    bad,
    demo: {
      workloads: Array.from({ length: options.targets }, (_, n) => ({
        name: `shop-${n}`,
      })),
      versions,
    },
  };
}
