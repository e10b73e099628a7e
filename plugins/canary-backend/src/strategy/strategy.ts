import { z } from 'zod';
import {
  Strategy,
  WEBHOOK_TYPES,
  Webhook,
} from '@canary-release/backstage-plugin-canary-common';

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
export const MAX_STAGE_DURATION_MS = 30 * UNIT_MS.d;
const MAX_INTERVAL_MS = UNIT_MS.h;
const MAX_WEBHOOK_TIMEOUT_MS = UNIT_MS.m;
const DEFAULT_WEBHOOK_TIMEOUT_MS = 10 * UNIT_MS.s;
const DEFAULT_WEBHOOK_RETRIES = 2;

/** Parses `30s`-style durations; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined;
}

/** Milliseconds written back in the largest unit that divides them, e.g. `5m`, `100ms`. */
export function formatDuration(ms: number): string {
  const unit = ['d', 'h', 'm', 's'].find(u => ms % UNIT_MS[u] === 0);
  return unit ? `${ms / UNIT_MS[unit]}${unit}` : `${ms}ms`;
}

export const duration = (maxMs: number) =>
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

const stageInput = z.strictObject({
  weight: z.number().int().min(1).max(100),
  minDuration: duration(MAX_STAGE_DURATION_MS),
  maxDuration: duration(MAX_STAGE_DURATION_MS).optional(),
  requireApproval: z.boolean().optional(),
});

const policy = z.enum(['pause', 'rollback']);

export const metricName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase metric name');
export const direction = z.enum(['lower-is-better', 'higher-is-better']);
const quantiles = z.array(z.number().gt(0).lt(1)).min(1).max(10);
const metricBase = {
  name: metricName,
  direction: direction.optional(),
  critical: z.boolean().optional(),
};

/** A statistical metric definition, as canary-common's judge takes it. */
const metricDefinition = z.discriminatedUnion('kind', [
  z.strictObject({
    ...metricBase,
    kind: z.literal('proportion'),
    margin: z.number().gt(0).max(1),
    rollbackMargin: z.number().min(0).max(1).optional(),
    maxRate: z.number().gt(0).lt(1).optional(),
    maxRatio: z.number().gt(1).max(1e6).optional(),
  }),
  z.strictObject({
    ...metricBase,
    kind: z.literal('count'),
    margin: z.number().gt(0).max(100).optional(),
    rollbackMargin: z.number().min(0).max(100).optional(),
  }),
  z.strictObject({
    ...metricBase,
    kind: z.literal('distribution'),
    margin: z.number().gt(0).max(100).optional(),
    rollbackMargin: z.number().min(0).max(100).optional(),
    quantiles: quantiles.optional(),
    max: z.number().gt(0).optional(),
    unit: z.string().max(16).optional(),
  }),
  z.strictObject({
    ...metricBase,
    kind: z.literal('gauge'),
    max: z.number().optional(),
    min: z.number().optional(),
    maxRelativeChange: z.number().min(0).optional(),
    unit: z.string().max(16).optional(),
  }),
]);

const analysisInput = z.strictObject({
  interval: duration(MAX_INTERVAL_MS).optional(),
  minRequestsPerLook: z.number().int().min(1).max(1e9).optional(),
  minRequestsPerStage: z.number().int().min(1).max(1e12).optional(),
  maxConsecutiveNoData: z.number().int().min(1).max(1000).optional(),
  noDataAction: policy.optional(),
  inconclusiveAction: policy.optional(),
  // Threshold rules are checks of the metrics now (margin, rollbackMargin, maxRate, maxRatio, max).
  thresholds: z
    .never({
      error:
        'thresholds are gone: limits are part of the metrics now (error-rate: margin, maxRate, maxRatio; latency: margin, rollbackMargin, max), judged on the stage with the statistics',
    })
    .optional(),
  metrics: z
    .array(metricDefinition)
    .max(20)
    .refine(
      metrics => new Set(metrics.map(m => m.name)).size === metrics.length,
      'metric names must be unique',
    )
    .optional(),
  alpha: z.number().gt(0).lt(0.5).optional(),
});

const webhookInput = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'must be letters, digits, ".", "_" or "-", at most 63',
    ),
  type: z.enum(WEBHOOK_TYPES),
  url: z
    .string()
    .max(2048)
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
    .refine(
      url => !new URL(url).username && !new URL(url).password,
      'must not carry credentials',
    ),
  timeout: duration(MAX_WEBHOOK_TIMEOUT_MS).optional(),
  retries: z.number().int().min(0).max(5).optional(),
  metadata: z
    .record(z.string().max(63), z.string().max(1000))
    .refine(m => Object.keys(m).length <= 20, 'at most 20 entries')
    .optional(),
});

const strategyFields = {
  stages: z.array(stageInput).min(1).max(20).optional(),
  analysis: analysisInput.optional(),
  dedicatedBaseline: z.boolean().optional(),
  progressDeadline: duration(MAX_STAGE_DURATION_MS).optional(),
  webhooks: z
    .array(webhookInput)
    .max(20)
    .refine(
      hooks => new Set(hooks.map(h => h.name)).size === hooks.length,
      'webhook names must be unique',
    )
    .optional(),
};

/**
 * The fields a launch request can override, as `canary.policy.overridable` names them: the
 * top-level ones, and each analysis setting on its own (`analysis.alpha`).
 */
export const STRATEGY_FIELDS = [
  ...Object.keys(strategyFields).filter(field => field !== 'analysis'),
  ...Object.keys(analysisInput.shape)
    .filter(field => field !== 'thresholds') // refused by the schema anyway
    .map(field => `analysis.${field}`),
];

/** A strategy or a partial one (a launch request overrides the configured defaults). */
export const strategyInputSchema = z
  .strictObject(strategyFields)
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

/** The STRATEGY_FIELDS a strategy input sets. */
export function overriddenFields(input: StrategyInput | undefined): string[] {
  const { analysis, ...rest } = input ?? {};
  const set = (fields: object) =>
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field]) => field);
  return [
    ...set(rest),
    ...set(analysis ?? {}).map(field => `analysis.${field}`),
  ];
}

/** The webhooks of a strategy input, with their defaults. */
function resolveWebhooks(input: StrategyInput | undefined): Webhook[] {
  return (input?.webhooks ?? []).map(hook => ({
    name: hook.name,
    type: hook.type,
    url: hook.url,
    timeoutMs: hook.timeout ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    retries: hook.retries ?? DEFAULT_WEBHOOK_RETRIES,
    ...(hook.metadata && { metadata: hook.metadata }),
  }));
}

/**
 * Resolves a launch request's strategy over the defaults: stages replace, analysis merges,
 * webhooks add up (one of the same name replaces the earlier one).
 */
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
  const webhooks = new Map(
    [...(defaults.webhooks ?? []), ...resolveWebhooks(input)].map(hook => [
      hook.name,
      hook,
    ]),
  );
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
      metrics: analysis.metrics ?? base.metrics,
      alpha: analysis.alpha ?? base.alpha,
    },
    webhooks: [...webhooks.values()],
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
      alpha: 0.05,
      // The error rate must be shown no worse than +0.5 points to promote, and rolls back once it
      // is shown above 10 % or above twice the baseline's. Latency (from histograms) must be shown
      // no more than 10 % slower at p50 and p95, and rolls back once a slowdown is established or
      // a quantile is shown above 2 s.
      metrics: [
        {
          name: 'error-rate',
          kind: 'proportion',
          direction: 'lower-is-better',
          margin: 0.005,
          maxRate: 0.1,
          maxRatio: 2,
          critical: true,
        },
        {
          name: 'latency',
          kind: 'distribution',
          direction: 'lower-is-better',
          margin: 0.1,
          max: 2,
          critical: true,
          quantiles: [0.5, 0.95],
          unit: 's',
        },
      ],
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
