import type { Phase } from './phases';

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

/** What a rollout signal says: which rollout changed and its phase now. @public */
export type RolloutSignal = {
  rolloutId: string;
  phase: Phase;
};
