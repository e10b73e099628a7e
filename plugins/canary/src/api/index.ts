export { canaryApiRef } from './CanaryApi';
export type {
  CanaryApi,
  DurationString,
  LaunchRolloutRequest,
  LaunchStage,
  ListAuditEventsRequest,
  ListRolloutsRequest,
} from './CanaryApi';
export { CanaryClient } from './CanaryClient';
