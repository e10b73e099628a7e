/**
 * The signal channel (`@backstage/plugin-signals`) on which the backend says that a rollout of an
 * entity changed: the entity's Canary tab listens on it to refresh at once instead of at its next
 * poll. Per entity, so that a tab hears of its own rollouts only and a subscriber learns nothing
 * of entities it did not name.
 *
 * @public
 */
export function rolloutSignalChannel(entityRef: string): string {
  return `canary:entity:${entityRef.toLocaleLowerCase('en-US')}`;
}

/**
 * What a rollout signal says: only that a rollout of the entity changed, and when. Signals are
 * broadcast, and only the permission policy knows who may read an entity's rollouts, so a signal
 * carries nothing a reader would not see anyway: the tab loads the details through the routes,
 * which check read permission.
 *
 * @public
 */
export type RolloutSignal = {
  /** When the change was stored (ISO 8601). */
  changedAt: string;
};
