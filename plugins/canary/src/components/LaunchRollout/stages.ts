import type { Stage } from '@canary-release/backstage-plugin-canary-common';
import type { DurationString, LaunchStage } from '../../api';
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
