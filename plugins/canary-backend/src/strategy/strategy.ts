import { z } from 'zod';
import type { Strategy } from '@canary-release/backstage-plugin-canary-common';

/**
 * Strategies as people write them (in `canary.defaults` and in a launch request): durations as
 * `500ms`, `30s`, `30m`, `2h`, `1d`. They are validated with one schema and resolved to the
 * millisecond form the engine stores.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const MIN_DURATION_MS = 100;
const MAX_STAGE_DURATION_MS = 30 * UNIT_MS.d;
const MAX_INTERVAL_MS = UNIT_MS.h;

/** Parses `30s`-style durations; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined;
}

const duration = (maxMs: number) =>
  z.string().transform((text, ctx) => {
    const value = parseDuration(text);
    if (value === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration: use a number and a unit, e.g. 30s, 5m, 2h`,
      });
      return z.NEVER;
    }
    if (value < MIN_DURATION_MS || value > maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is out of range: from ${MIN_DURATION_MS}ms to ${
          maxMs / UNIT_MS.d >= 1
            ? `${maxMs / UNIT_MS.d}d`
            : `${maxMs / UNIT_MS.m}m`
        }`,
      });
      return z.NEVER;
    }
    return value;
  });

const fraction = z.number().min(0).max(1);
const positive = z.number().positive().max(1e6);

const stageInput = z.strictObject({
  weight: z.number().int().min(1).max(100),
  minDuration: duration(MAX_STAGE_DURATION_MS),
  maxDuration: duration(MAX_STAGE_DURATION_MS).optional(),
  requireApproval: z.boolean().optional(),
});

const thresholdsInput = z.strictObject({
  success: z
    .strictObject({
      maxErrorRate: fraction.optional(),
      maxErrorRateIncrease: fraction.optional(),
      maxP95Ms: positive.optional(),
    })
    .optional(),
  rollback: z
    .strictObject({
      maxErrorRate: fraction.optional(),
      maxErrorRateRatio: positive.optional(),
      maxP95Ms: positive.optional(),
      maxP95Ratio: positive.optional(),
    })
    .optional(),
});

const policy = z.enum(['pause', 'rollback']);

const analysisInput = z.strictObject({
  interval: duration(MAX_INTERVAL_MS).optional(),
  minRequestsPerLook: z.number().int().min(1).max(1e9).optional(),
  minRequestsPerStage: z.number().int().min(1).max(1e12).optional(),
  maxConsecutiveNoData: z.number().int().min(1).max(1000).optional(),
  noDataAction: policy.optional(),
  inconclusiveAction: policy.optional(),
  thresholds: thresholdsInput.optional(),
});

/** A strategy or a partial one (a launch request overrides the configured defaults). */
export const strategyInputSchema = z
  .strictObject({
    stages: z.array(stageInput).min(1).max(20).optional(),
    analysis: analysisInput.optional(),
    dedicatedBaseline: z.boolean().optional(),
    progressDeadline: duration(MAX_STAGE_DURATION_MS).optional(),
  })
  .superRefine((strategy, ctx) => {
    strategy.stages?.forEach((stage, i) => {
      const previous = strategy.stages![i - 1];
      if (previous && stage.weight <= previous.weight) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'weight'],
          message: `stage weights must increase: ${stage.weight} follows ${previous.weight}`,
        });
      }
      if (
        stage.maxDuration !== undefined &&
        stage.maxDuration < stage.minDuration
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'maxDuration'],
          message: 'maxDuration must not be shorter than minDuration',
        });
      }
    });
  });

/** The parsed (millisecond) form of a strategy input. */
export type StrategyInput = z.output<typeof strategyInputSchema>;

/** Resolves a launch request's strategy over the defaults: stages replace, analysis merges. */
export function resolveStrategy(
  defaults: Strategy,
  input: StrategyInput | undefined,
): Strategy {
  const stages =
    input?.stages?.map(stage => ({
      weight: stage.weight,
      minDurationMs: stage.minDuration,
      // Without a maximum, a stage gets as long again to reach a verdict.
      maxDurationMs: stage.maxDuration ?? 2 * stage.minDuration,
      requireApproval: stage.requireApproval ?? false,
    })) ?? defaults.stages;
  const analysis = input?.analysis ?? {};
  const base = defaults.analysis;
  return {
    stages,
    dedicatedBaseline: input?.dedicatedBaseline ?? defaults.dedicatedBaseline,
    progressDeadlineMs: input?.progressDeadline ?? defaults.progressDeadlineMs,
    analysis: {
      intervalMs: analysis.interval ?? base.intervalMs,
      minRequestsPerLook:
        analysis.minRequestsPerLook ?? base.minRequestsPerLook,
      minRequestsPerStage:
        analysis.minRequestsPerStage ?? base.minRequestsPerStage,
      maxConsecutiveNoData:
        analysis.maxConsecutiveNoData ?? base.maxConsecutiveNoData,
      noDataAction: analysis.noDataAction ?? base.noDataAction,
      inconclusiveAction:
        analysis.inconclusiveAction ?? base.inconclusiveAction,
      thresholds: {
        success: {
          ...base.thresholds.success,
          ...analysis.thresholds?.success,
        },
        rollback: {
          ...base.thresholds.rollback,
          ...analysis.thresholds?.rollback,
        },
      },
    },
  };
}

/** The built-in defaults: 5 % for 30 min, 25 % for 1 h, 50 % for 2 h, then 100 %. */
export const BUILT_IN_STRATEGY: Strategy = resolveStrategy(
  {
    stages: [],
    dedicatedBaseline: false,
    progressDeadlineMs: 10 * UNIT_MS.m,
    analysis: {
      intervalMs: UNIT_MS.m,
      minRequestsPerLook: 20,
      minRequestsPerStage: 200,
      maxConsecutiveNoData: 3,
      noDataAction: 'pause',
      inconclusiveAction: 'pause',
      thresholds: {
        success: {
          maxErrorRate: 0.01,
          maxErrorRateIncrease: 0.005,
          maxP95Ms: 500,
        },
        rollback: {
          maxErrorRate: 0.05,
          maxErrorRateRatio: 2,
          maxP95Ms: 2000,
          maxP95Ratio: 1.5,
        },
      },
    },
  },
  strategyInputSchema.parse({
    stages: [
      { weight: 5, minDuration: '30m' },
      { weight: 25, minDuration: '1h' },
      { weight: 50, minDuration: '2h' },
    ],
  }),
);
