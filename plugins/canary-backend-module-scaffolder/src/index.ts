/**
 * The Scaffolder action `canary:rollout:launch`: launches a canary rollout from a software
 * template, as the user running it, and optionally waits for its outcome.
 *
 * @packageDocumentation
 */
export { scaffolderModuleCanary as default } from './module';
export {
  createLaunchRolloutAction,
  LAUNCH_ACTION_ID,
} from './actions/launchRollout';
