import type {
  ArmSample,
  AuditEvent,
  MetricVerdict,
  Rollout,
  RolloutAction,
  Webhook,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type { WorkloadState } from '@canary-release/backstage-plugin-canary-node';

/** A rollout as stored: everything but what is derived for the API. */
export type RolloutRecord = Omit<Rollout, 'allowedActions'>;

/** What the router and the workload controller report right now. */
export interface ActualState {
  weights: Weights;
  workload: WorkloadState;
}

/** One look at the metrics of both arms over a window. */
export interface Look {
  window: { start: string; end: string };
  baseline?: ArmSample;
  canary?: ArmSample;
  /** Why the look has no samples (the provider failed). */
  error?: string;
}

/** A user's (or a service's) request to act on a rollout. */
export interface Command {
  action: RolloutAction;
  actor: string;
  reason?: string;
}

/** The webhooks the rollout waits for: before the first traffic shift, and before leaving a stage. */
export type GateType = 'pre-rollout' | 'confirm-promotion';

/** How one webhook call ended, after its retries. */
export interface HookOutcome {
  name: string;
  /** A 2xx answer. */
  ok: boolean;
  /** The HTTP status of the last attempt, when there was an answer. */
  status?: number;
  /** Why the last attempt failed: the status, a timeout, no connection. */
  error?: string;
  attempts: number;
  durationMs: number;
}

/** What `decide` asks for when a gate's webhooks must answer before it can go on. */
export interface GateRequest {
  type: GateType;
  hooks: Webhook[];
  /** Why the rollout is at the gate, for the webhooks' payload. */
  reason: string;
}

/** The answers to a GateRequest. */
export interface GateAnswer {
  type: GateType;
  results: HookOutcome[];
}

/** Everything `decide` knows of the world beyond the stored rollout. */
export interface Observations {
  /** Absent when the router or the workload could not be read; see `unreadable`. */
  actual?: ActualState;
  /** Which of the two failed to answer, each with its error. */
  unreadable?: Partial<Record<'router' | 'workload', string>>;
  /** Present when a look was due and taken. */
  look?: Look;
  command?: Command;
  /** The answers of a gate's webhooks, when the previous `decide` asked for them. */
  gate?: GateAnswer;
}

/** Idempotent operations on the world; the engine repeats them until the world matches. */
export type Action =
  | {
      type: 'deployCanary';
      version: string;
      weight: number;
      baselineVersion?: string;
    }
  | { type: 'setWeights'; weights: Weights }
  | { type: 'setStableVersion'; version: string }
  | { type: 'removeCanary' };

/** An audit event before the store gives it an id. */
export type AuditEventDraft = Omit<AuditEvent, 'id'>;

/** The verdicts of one look, kept in the measurements table. */
export interface LookRecord {
  look: Look;
  stageIndex: number;
  verdicts: MetricVerdict[];
}

/** What `decide` returns. */
export interface Decision {
  rollout: RolloutRecord;
  actions: Action[];
  events: AuditEventDraft[];
  lookRecord?: LookRecord;
  /** True when the stored rollout must be saved (something changed). */
  changed: boolean;
  /**
   * Set when the rollout is at a gate whose webhooks were not asked yet: ask them and decide again
   * with their answers in `observations.gate`. Nothing of this decision is saved or acted on;
   * its `rollout` is the state at the gate (with the latest look's verdicts), for the payload.
   */
  gate?: GateRequest;
}
