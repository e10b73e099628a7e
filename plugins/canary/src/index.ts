/**
 * The frontend of the canary plugin: the Canary tab of catalog entities, the Canary page (rollouts
 * across the catalog and the audit trail) and the client of the canary backend. This entry point
 * serves the legacy frontend system; `./alpha` serves the new one.
 *
 * @packageDocumentation
 */
export { canaryPlugin, CanaryPage, EntityCanaryContent } from './plugin';
export { canaryApiRef, CanaryClient } from './api';
export type {
  AuditExport,
  AuditFilter,
  CanaryApi,
  DurationString,
  LaunchAnalysis,
  LaunchRolloutRequest,
  LaunchStage,
  LaunchStrategy,
  ListAuditEventsRequest,
  ListRolloutsRequest,
  RolloutSortField,
  StrategyCatalog,
} from './api';
export { isCanaryAvailable } from '@canary-release/backstage-plugin-canary-common';
