/**
 * The canary backend plugin: the rollout engine, its store and the `/api/canary` routes.
 *
 * @packageDocumentation
 */
export { canaryPlugin as default } from './plugin';
