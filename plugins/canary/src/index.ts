/**
 * The frontend of the canary plugin: the Canary tab of catalog entities and the client of the
 * canary backend. This entry point serves the legacy frontend system; `./alpha` serves the new one.
 *
 * @packageDocumentation
 */
export { canaryPlugin, EntityCanaryContent } from './plugin';
export { canaryApiRef, CanaryClient } from './api';
export type {
  CanaryApi,
  DurationString,
  LaunchAnalysis,
  LaunchRolloutRequest,
  LaunchStage,
  LaunchStrategy,
  ListAuditEventsRequest,
  ListRolloutsRequest,
  StrategyCatalog,
} from './api';
export { isCanaryAvailable } from '@canary-release/backstage-plugin-canary-common';
