export { canaryApiRef } from './CanaryApi';
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
} from './CanaryApi';
export { CanaryClient } from './CanaryClient';
