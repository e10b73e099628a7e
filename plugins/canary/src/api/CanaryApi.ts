import { createApiRef } from '@backstage/core-plugin-api';
import type {
  AnalysisSettings,
  AuditEvent,
  Page,
  Phase,
  Rollout,
  RolloutAction,
  RolloutAnalysis,
  Strategy,
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
 * The analysis settings of a strategy in a launch request: those of {@link Strategy}, with the
 * interval as a duration string. Every field is optional; missing ones come from the preset.
 * The limits are part of the metric definitions (`metrics`): margins, and the ceilings
 * `maxRate` and `maxRatio` of a proportion or `max` of a distribution; `metrics` replaces the
 * preset's list as a whole.
 *
 * @public
 */
export type LaunchAnalysis = Partial<
  Omit<AnalysisSettings, 'intervalMs'> & {
    interval: DurationString;
  }
>;

/**
 * A strategy in a launch request. Its stages replace the preset's; its analysis settings
 * override the preset's one by one.
 *
 * @public
 */
export interface LaunchStrategy {
  stages?: LaunchStage[];
  analysis?: LaunchAnalysis;
  dedicatedBaseline?: boolean;
  progressDeadline?: DurationString;
}

/**
 * The body of `POST /rollouts`. The strategy starts from `preset` (a key of the server's
 * presets), else from the preset the entity's `canary.backstage.io/preset` annotation names, else
 * from the server's defaults; `strategy` overrides parts of it.
 *
 * @public
 */
export interface LaunchRolloutRequest {
  entityRef: string;
  canaryVersion: string;
  stableVersion?: string;
  preset?: string;
  strategy?: LaunchStrategy;
  reason?: string;
}

/**
 * The strategies the server is configured with (`GET /strategies`).
 *
 * @public
 */
export interface StrategyCatalog {
  /** What a rollout gets without a preset. */
  defaults: Strategy;
  /** Named presets, e.g. `demo`. */
  presets: Record<string, Strategy>;
}

/**
 * What `GET /rollouts` can sort by.
 *
 * @public
 */
export type RolloutSortField =
  | 'createdAt'
  | 'updatedAt'
  | 'entityRef'
  | 'phase';

/**
 * Filters, order and paging of `GET /rollouts`. A cursor is only valid with the sort and order
 * of the page it came from.
 *
 * @public
 */
export interface ListRolloutsRequest {
  entityRef?: string;
  /** One phase or several (any of them). */
  phase?: Phase | Phase[];
  /** The owner of the rollout's entity, e.g. `group:default/team-a`. */
  owner?: string;
  /** The system of the rollout's entity, e.g. `system:default/shop`. */
  system?: string;
  /** ISO 8601 time, inclusive. */
  createdAfter?: string;
  /** ISO 8601 time, exclusive. */
  createdBefore?: string;
  sort?: RolloutSortField;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

/**
 * The filters of the audit trail, shared by the list and the export.
 *
 * @public
 */
export interface AuditFilter {
  entityRef?: string;
  rolloutId?: string;
  actor?: string;
  action?: string;
  /** ISO 8601 time, inclusive. */
  from?: string;
  /** ISO 8601 time, exclusive. */
  to?: string;
}

/**
 * Filters and paging of `GET /audit` (JSON format).
 *
 * @public
 */
export interface ListAuditEventsRequest extends AuditFilter {
  limit?: number;
  cursor?: string;
}

/**
 * A download of the whole filtered audit trail (`GET /audit/export`).
 *
 * @public
 */
export interface AuditExport {
  blob: Blob;
  /** The file name the server suggests. */
  filename: string;
}

/**
 * The client of the canary backend (`/api/canary`). Every method rejects with a
 * `ResponseError` from `@backstage/errors` when the backend answers with an error.
 *
 * @public
 */
export interface CanaryApi {
  /** Rollouts across the catalog, newest first unless sorted otherwise. */
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
  /** The audit trail, oldest first. */
  listAuditEvents(request?: ListAuditEventsRequest): Promise<Page<AuditEvent>>;
  /** Every event matching the filter, as a CSV or JSON file. */
  exportAuditEvents(
    format: 'csv' | 'json',
    filter?: AuditFilter,
  ): Promise<AuditExport>;
  /** The configured default strategy and presets, for the launch dialog. */
  getStrategies(): Promise<StrategyCatalog>;
}

/**
 * The reference to the {@link CanaryApi}.
 *
 * @public
 */
export const canaryApiRef = createApiRef<CanaryApi>({
  id: 'plugin.canary.service',
});
