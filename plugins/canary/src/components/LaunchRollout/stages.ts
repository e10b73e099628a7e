import type {
  Stage,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import type {
  DurationString,
  LaunchRolloutRequest,
  LaunchStage,
  LaunchStrategy,
} from '../../api';
import { parseDurationString, toDurationString } from '../../utils/format';

/** A stage as typed in the launch dialog. */
export interface StageDraft {
  weight: string;
  minDuration: string;
  /** Empty for the server's default. */
  maxDuration: string;
  requireApproval: boolean;
}

/** What is wrong with each field of a stage draft, if anything. */
export type StageErrors = Partial<
  Record<'weight' | 'minDuration' | 'maxDuration', string>
>;

/** The stages the documentation names as the default strategy: 5 %, 25 %, 50 %. */
export const DOCUMENTED_DEFAULT_STAGES: StageDraft[] = [
  { weight: '5', minDuration: '30m', maxDuration: '', requireApproval: false },
  { weight: '25', minDuration: '1h', maxDuration: '', requireApproval: false },
  { weight: '50', minDuration: '2h', maxDuration: '', requireApproval: false },
];

/** Drafts from an existing strategy's stages, to start editing from what the last rollout used. */
export function toStageDrafts(stages: Stage[]): StageDraft[] {
  return stages.map(stage => ({
    weight: String(stage.weight),
    minDuration: toDurationString(stage.minDurationMs),
    maxDuration: toDurationString(stage.maxDurationMs),
    requireApproval: stage.requireApproval,
  }));
}

const DURATION_HINT = 'A whole number and s, m or h, e.g. 30s, 5m, 1h';

/**
 * Checks the drafts as the server will: weights are whole numbers from 1 to 100 and increase
 * from stage to stage, durations are positive, a maximum is at least the minimum.
 */
export function validateStages(drafts: StageDraft[]): {
  errors: StageErrors[];
  stages?: LaunchStage[];
} {
  let previousWeight = 0;
  const errors = drafts.map(draft => {
    const stageErrors: StageErrors = {};
    const weight = Number(draft.weight);
    if (!/^\d+$/.test(draft.weight.trim()) || weight < 1 || weight > 100) {
      stageErrors.weight = 'A whole number from 1 to 100';
    } else if (weight <= previousWeight) {
      stageErrors.weight = `More than the previous stage's ${previousWeight} %`;
    }
    if (!stageErrors.weight) previousWeight = weight;

    const min = parseDurationString(draft.minDuration);
    if (!min) stageErrors.minDuration = DURATION_HINT;
    if (draft.maxDuration.trim()) {
      const max = parseDurationString(draft.maxDuration);
      if (!max) {
        stageErrors.maxDuration = DURATION_HINT;
      } else if (min && max < min) {
        stageErrors.maxDuration = 'At least the minimum duration';
      }
    }
    return stageErrors;
  });

  if (drafts.length === 0 || errors.some(e => Object.keys(e).length > 0)) {
    return { errors };
  }
  const stages = drafts.map(draft => ({
    weight: Number(draft.weight),
    minDuration: draft.minDuration.trim() as DurationString,
    ...(draft.maxDuration.trim() && {
      maxDuration: draft.maxDuration.trim() as DurationString,
    }),
    requireApproval: draft.requireApproval,
  }));
  return { errors, stages };
}

/** Stages as the server resolves them: a stage without a maximum gets twice its minimum. */
export function toStages(stages: LaunchStage[]): Stage[] {
  return stages.map(stage => {
    const minDurationMs = parseDurationString(stage.minDuration)!;
    return {
      weight: stage.weight,
      minDurationMs,
      maxDurationMs: stage.maxDuration
        ? parseDurationString(stage.maxDuration)!
        : 2 * minDurationMs,
      requireApproval: stage.requireApproval ?? false,
    };
  });
}

/** A whole strategy in the form of a launch request, to ask for exactly that strategy. */
export function toLaunchStrategy(strategy: Strategy): LaunchStrategy {
  const { intervalMs, ...analysis } = strategy.analysis;
  return {
    stages: strategy.stages.map(stage => ({
      weight: stage.weight,
      minDuration: toDurationString(stage.minDurationMs),
      maxDuration: toDurationString(stage.maxDurationMs),
      requireApproval: stage.requireApproval,
    })),
    analysis: { ...analysis, interval: toDurationString(intervalMs) },
    dedicatedBaseline: strategy.dedicatedBaseline,
    progressDeadline: toDurationString(strategy.progressDeadlineMs),
  };
}

/** What the launch dialog collected. */
export interface LaunchInput {
  entityRef: string;
  canaryVersion: string;
  stableVersion: string;
  reason: string;
  /** The chosen preset; undefined for the server's defaults. */
  preset?: string;
  /** The preset the entity's annotation names: the server's choice when none is sent. */
  entityPreset?: string;
  /** The server's defaults, when known. */
  defaults?: Strategy;
  /** Custom stages replacing the chosen strategy's. */
  stages?: LaunchStage[];
}

/**
 * The launch request for the dialog's input. The server starts from the request's preset, else
 * from the entity's, else from its defaults; so choosing the defaults for an entity that names a
 * preset sends the defaults in full.
 */
export function toLaunchRequest(input: LaunchInput): LaunchRolloutRequest {
  let strategy: LaunchStrategy | undefined =
    input.preset === undefined && input.entityPreset && input.defaults
      ? toLaunchStrategy(input.defaults)
      : undefined;
  if (input.stages) strategy = { ...strategy, stages: input.stages };
  return {
    entityRef: input.entityRef,
    canaryVersion: input.canaryVersion.trim(),
    ...(input.stableVersion.trim() && {
      stableVersion: input.stableVersion.trim(),
    }),
    ...(input.preset !== undefined && { preset: input.preset }),
    ...(strategy && { strategy }),
    ...(input.reason.trim() && { reason: input.reason.trim() }),
  };
}
