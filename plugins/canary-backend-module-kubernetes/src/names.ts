/**
 * The names this module gives and recognises: the arms of a rollout, the Deployments that run
 * them and how traffic destinations name them.
 */

/** The three arms: stable (the entity's Deployment), canary, and the optional baseline. */
export type Arm = 'stable' | 'canary' | 'baseline';

/**
 * The label on the pods (and Deployments) of each arm: `canary`, `baseline`, and, set by the
 * service owner on the stable Deployment's pod template, `stable`. Services and DestinationRule
 * subsets select on it.
 */
export const ARM_LABEL = 'canary.backstage.io/arm';

/** On the canary and baseline Deployments: the stable Deployment they were made from. */
export const SOURCE_ANNOTATION = 'canary.backstage.io/source-deployment';

/**
 * The Deployment (and Service, for host-based routing) of an arm of the workload `name`:
 * `<name>`, `<name>-canary`, `<name>-baseline`.
 */
export function armName(name: string, arm: Arm): string {
  return arm === 'stable' ? name : `${name}-${arm}`;
}

/**
 * The arm a Service name stands for, for the workload `name`: `<name>` is stable,
 * `<name>-canary` the canary, `<name>-baseline` the baseline. A host may be written
 * short or fully qualified (`<service>.<namespace>.svc.cluster.local`).
 */
export function armOfService(host: string, name: string): Arm | undefined {
  const service = host.split('.')[0];
  return (['stable', 'canary', 'baseline'] as const).find(
    arm => armName(name, arm) === service,
  );
}

/** The arm a DestinationRule subset name stands for: `stable`, `canary` or `baseline`. */
export function armOfSubset(subset: string): Arm | undefined {
  return (['stable', 'canary', 'baseline'] as const).find(
    arm => arm === subset,
  );
}
