import { createApiRef } from '@backstage/core-plugin-api';
import type {
  AuditEvent,
  Page,
  Phase,
  Rollout,
  RolloutAction,
  RolloutAnalysis,
} from '@canary-release/backstage-plugin-canary-common';

/**
 * A duration as the launch route accepts it: a whole number followed by `s`, `m` or `h`.
 *
 * @public
 */
export type DurationString = `${number}${'s' | 'm' | 'h'}`;

/**
 * One stage of a custom strategy in a launch request.
 *
 * @public
 */
export interface LaunchStage {
  /** Percent of traffic sent to the canary, 1-100. */
  weight: number;
  minDuration: DurationString;
  maxDuration?: DurationString;
  requireApproval?: boolean;
}

/**
 * The body of `POST /rollouts`. Leave `strategy` out to use the server's default strategy.
 *
 * @public
 */
export interface LaunchRolloutRequest {
  entityRef: string;
  canaryVersion: string;
  stableVersion?: string;
  strategy?: { stages?: LaunchStage[] };
  reason?: string;
}

/**
 * Filters and paging of `GET /rollouts`.
 *
 * @public
 */
export interface ListRolloutsRequest {
  entityRef?: string;
  phase?: Phase;
  limit?: number;
  cursor?: string;
}

/**
 * Filters and paging of `GET /audit` (JSON format).
 *
 * @public
 */
export interface ListAuditEventsRequest {
  entityRef?: string;
  rolloutId?: string;
  actor?: string;
  action?: string;
  /** ISO 8601 time, inclusive. */
  from?: string;
  /** ISO 8601 time, exclusive. */
  to?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The client of the canary backend (`/api/canary`). Every method rejects with a
 * `ResponseError` from `@backstage/errors` when the backend answers with an error.
 *
 * @public
 */
export interface CanaryApi {
  /** Rollouts, newest first. */
  listRollouts(request?: ListRolloutsRequest): Promise<Page<Rollout>>;
  getRollout(id: string): Promise<Rollout>;
  launchRollout(request: LaunchRolloutRequest): Promise<Rollout>;
  /** Requests a manual action; the backend answers 409 when the phase forbids it. */
  performAction(
    id: string,
    action: RolloutAction,
    reason?: string,
  ): Promise<Rollout>;
  /** Every measurement and verdict of a rollout, as time series per metric and arm. */
  getAnalysis(id: string): Promise<RolloutAnalysis>;
  listAuditEvents(request?: ListAuditEventsRequest): Promise<Page<AuditEvent>>;
}

/**
 * The reference to the {@link CanaryApi}.
 *
 * @public
 */
export const canaryApiRef = createApiRef<CanaryApi>({
  id: 'plugin.canary.service',
});
