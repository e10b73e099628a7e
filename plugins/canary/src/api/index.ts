export { canaryApiRef } from './CanaryApi';
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
} from './CanaryApi';
export { CanaryClient } from './CanaryClient';
