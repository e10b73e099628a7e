import { NotAllowedError } from '@backstage/errors';
import {
  MetricDefinition,
  RolloutAction,
  Strategy,
  allowedActions,
} from '@canary-release/backstage-plugin-canary-common';
import { z } from 'zod';
import type { RolloutRecord } from '../engine/types';
import {
  MAX_STAGE_DURATION_MS,
  STRATEGY_FIELDS,
  StrategyInput,
  direction,
  duration,
  formatDuration,
  metricName,
  overriddenFields,
  resolveStrategy,
} from './strategy';

/**
 * `canary.policy`: the platform's floors under every strategy a rollout runs with, the strategy
 * fields a launch request may override at all, and separation of duties at approval gates. The
 * configured defaults and presets must meet the floors (checked at startup); a launch that does
 * not is refused with the rule that refused it, and nothing is stored.
 */

/**
 * Without `canary.policy.overridable`, a launch may add webhooks and nothing else: a webhook can
 * only hold a rollout or report on it, and their URLs are bounded by
 * `canary.webhooks.allowedUrlPrefixes`. Every other field can weaken the analysis in ways the
 * floors do not cover (alpha, minRequestsPerStage, noDataAction, ...), so a platform opts in to
 * each.
 */
export const DEFAULT_OVERRIDABLE = ['webhooks'];

type MetricKind = MetricDefinition['kind'];

/** The kinds each per-metric limit applies to. */
const LIMIT_KINDS: Record<string, MetricKind[]> = {
  maxMargin: ['proportion', 'count', 'distribution'],
  maxRollbackMargin: ['proportion', 'count', 'distribution'],
  maxRate: ['proportion'],
  maxRatio: ['proportion'],
  max: ['distribution'],
};

const metricPolicy = z
  .strictObject({
    name: metricName,
    kind: z.enum(['proportion', 'count', 'distribution', 'gauge']),
    direction: direction.default('lower-is-better'),
    maxMargin: z.number().gt(0).optional(),
    maxRollbackMargin: z.number().min(0).optional(),
    maxRate: z.number().gt(0).lt(1).optional(),
    maxRatio: z.number().gt(1).optional(),
    max: z.number().gt(0).optional(),
  })
  .superRefine((metric, ctx) => {
    for (const [limit, kinds] of Object.entries(LIMIT_KINDS)) {
      if (
        metric[limit as keyof typeof metric] !== undefined &&
        !kinds.includes(metric.kind)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [limit],
          message: `applies to ${kinds.join(' and ')} metrics, not to a ${
            metric.kind
          }`,
        });
      }
    }
  });

export const policySchema = z.strictObject({
  /** Stages below 100 % of traffic that every strategy has at least. */
  minStages: z.number().int().min(1).max(20).optional(),
  /** The shortest `minDuration` of any stage. */
  minStageDuration: duration(MAX_STAGE_DURATION_MS).optional(),
  /** The largest weight of the first stage, in percent. */
  maxFirstStageWeight: z.number().int().min(1).max(100).optional(),
  /** A user approves before the canary gets this percentage of traffic or more. */
  requireApprovalFrom: z.number().int().min(2).max(100).optional(),
  /** Metrics every strategy judges, critical, with at most these limits. */
  metrics: z
    .array(metricPolicy)
    .max(20)
    .refine(
      metrics => new Set(metrics.map(m => m.name)).size === metrics.length,
      'metric names must be unique',
    )
    .optional(),
  overridable: z
    .array(z.enum(STRATEGY_FIELDS))
    .default(() => [...DEFAULT_OVERRIDABLE]),
  approverMustDiffer: z.boolean().default(false),
});

/** `canary.policy`, parsed (durations in milliseconds). */
export type Policy = z.output<typeof policySchema>;

/** A floor a strategy breaks: the rule (a key under `canary.policy`) and how. */
export interface Violation {
  rule: string;
  detail: string;
}

/** Every floor of `policy` that `strategy` breaks. */
export function policyViolations(
  policy: Policy,
  strategy: Strategy,
): Violation[] {
  const violations: Violation[] = [];
  const { stages } = strategy;
  const below100 = stages.filter(stage => stage.weight < 100).length;
  if (policy.minStages !== undefined && below100 < policy.minStages) {
    violations.push({
      rule: 'minStages',
      detail: `the strategy has ${below100} stage${
        below100 === 1 ? '' : 's'
      } below 100 %, the platform's minimum is ${policy.minStages}`,
    });
  }
  if (policy.minStageDuration !== undefined) {
    stages.forEach((stage, i) => {
      if (stage.minDurationMs < policy.minStageDuration!) {
        violations.push({
          rule: 'minStageDuration',
          detail: `stage ${i + 1} lasts ${formatDuration(
            stage.minDurationMs,
          )}, the platform's minimum is ${formatDuration(
            policy.minStageDuration!,
          )}`,
        });
      }
    });
  }
  if (
    policy.maxFirstStageWeight !== undefined &&
    stages[0].weight > policy.maxFirstStageWeight
  ) {
    violations.push({
      rule: 'maxFirstStageWeight',
      detail: `stage 1 sends ${stages[0].weight} % of traffic to the canary, the platform's maximum for the first stage is ${policy.maxFirstStageWeight} %`,
    });
  }
  if (policy.requireApprovalFrom !== undefined) {
    const detail = approvalShortfall(strategy, policy.requireApprovalFrom);
    if (detail) violations.push({ rule: 'requireApprovalFrom', detail });
  }
  for (const required of policy.metrics ?? []) {
    const metric = strategy.analysis.metrics.find(
      m => m.name === required.name,
    );
    violations.push(
      ...metricShortfalls(required, metric).map(detail => ({
        rule: `metrics[${required.name}]${
          detail.limit ? `.${detail.limit}` : ''
        }`,
        detail: detail.text,
      })),
    );
  }
  return violations;
}

/**
 * Why `strategy` lets the canary reach `weight` % without an approval, if it does. The engine
 * asks for approval before entering a stage after the first; after the last stage it promotes to
 * 100 % without asking, so the first stage at `weight` % or more must exist and be gated.
 */
function approvalShortfall(
  strategy: Strategy,
  weight: number,
): string | undefined {
  const want = `the platform wants an approval before the canary gets ${weight} % or more`;
  const index = strategy.stages.findIndex(stage => stage.weight >= weight);
  if (index === -1) {
    const last = strategy.stages[strategy.stages.length - 1];
    return `after stage ${strategy.stages.length} (${last.weight} %) the rollout goes to 100 % without an approval; ${want}: add a stage of at least ${weight} % with requireApproval`;
  }
  const stage = strategy.stages[index];
  if (index === 0) {
    return `stage 1 starts at ${stage.weight} %, before anyone can approve; ${want}`;
  }
  if (!stage.requireApproval) {
    return `stage ${index + 1} (${
      stage.weight
    } %) has no approval gate; ${want}`;
  }
  return undefined;
}

type MetricPolicy = Policy['metrics'] extends Array<infer M> | undefined
  ? M
  : never;

/** How `metric` falls short of what the platform requires of it. */
function metricShortfalls(
  required: MetricPolicy,
  metric: MetricDefinition | undefined,
): Array<{ limit?: string; text: string }> {
  const { name } = required;
  if (!metric) {
    return [
      { text: `the strategy does not judge ${name}; the platform requires it` },
    ];
  }
  if (metric.kind !== required.kind) {
    return [
      {
        text: `${name} is judged as a ${metric.kind}; the platform requires a ${required.kind}`,
      },
    ];
  }
  const shortfalls: Array<{ limit?: string; text: string }> = [];
  if (!metric.critical) {
    shortfalls.push({
      text: `${name} is not critical (a regression would only pause); the platform requires it critical`,
    });
  }
  if ((metric.direction ?? 'lower-is-better') !== required.direction) {
    shortfalls.push({
      text: `${name} is judged ${
        metric.direction ?? 'lower-is-better'
      }; the platform requires ${required.direction}`,
    });
  }
  // Each limit as the metric sets it; an absent margin or ceiling is no bound at all, an absent
  // rollbackMargin is 0.
  const values = metric as Partial<
    Record<'margin' | 'rollbackMargin' | 'maxRate' | 'maxRatio' | 'max', number>
  >;
  const limits: Array<[string, string, number | undefined]> = [
    ['maxMargin', 'margin', values.margin],
    ['maxRollbackMargin', 'rollbackMargin', values.rollbackMargin ?? 0],
    ['maxRate', 'maxRate', values.maxRate],
    ['maxRatio', 'maxRatio', values.maxRatio],
    ['max', 'max', values.max],
  ];
  for (const [limit, field, value] of limits) {
    const maximum = required[limit as keyof MetricPolicy] as number | undefined;
    if (maximum === undefined) continue;
    if (value === undefined) {
      shortfalls.push({
        limit,
        text: `${name} has no ${field}; the platform's maximum is ${maximum}`,
      });
    } else if (value > maximum) {
      shortfalls.push({
        limit,
        text: `${name}'s ${field} is ${value}, the platform's maximum is ${maximum}`,
      });
    }
  }
  return shortfalls;
}

/**
 * The strategy a launch runs with: `input` over `base`. Refused (403, nothing stored) when it
 * overrides a field `canary.policy.overridable` does not list, or breaks a floor.
 */
export function launchStrategy(
  policy: Policy,
  base: Strategy,
  input: StrategyInput | undefined,
): Strategy {
  const refused = overriddenFields(input).filter(
    field => !policy.overridable.includes(field),
  );
  if (refused.length > 0) {
    throw new NotAllowedError(
      `refused by canary.policy.overridable: a launch may not override ${refused.join(
        ', ',
      )} (overridable: ${
        policy.overridable.join(', ') || 'none'
      }); choose a configured preset instead`,
    );
  }
  const strategy = resolveStrategy(base, input);
  const violations = policyViolations(policy, strategy);
  if (violations.length > 0) {
    throw new NotAllowedError(
      violations
        .map(v => `refused by canary.policy.${v.rule}: ${v.detail}`)
        .join('; '),
    );
  }
  return strategy;
}

/**
 * Startup: the configured defaults and presets (named like their config keys) must meet the
 * policy; the error names each one that does not and the rule it breaks.
 */
export function checkConfiguredStrategies(
  policy: Policy,
  strategies: Record<string, Strategy>,
): void {
  const problems = Object.entries(strategies).flatMap(([key, strategy]) =>
    policyViolations(policy, strategy).map(
      v => `${key} breaks canary.policy.${v.rule}: ${v.detail}`,
    ),
  );
  if (problems.length > 0) {
    throw new Error(
      `The configured strategies do not meet canary.policy: ${problems.join(
        '; ',
      )}`,
    );
  }
}

/**
 * Separation of duties: with `approverMustDiffer`, whoever launched a rollout cannot pass its
 * approval gates: not with `approve`, nor with a `promote` or `promote-full` that skips one.
 */
export function checkApprover(
  policy: Policy,
  rollout: RolloutRecord,
  action: RolloutAction,
  actor: string,
): void {
  if (!policy.approverMustDiffer || rollout.createdBy !== actor) return;
  const { stages } = rollout.strategy;
  const isLastStage = rollout.stageIndex >= stages.length - 1;
  // An action the phase forbids passes no gate: it gets its 409.
  if (!allowedActions(rollout.phase, isLastStage).includes(action)) return;
  const next = rollout.stageIndex + 1;
  let passed: number[] = [];
  if (action === 'approve' || action === 'promote') passed = [next];
  if (action === 'promote-full') {
    passed = stages.map((_, i) => i).filter(i => i >= next);
  }
  const gate = passed.find(i => i > 0 && stages[i]?.requireApproval);
  if (gate === undefined) return;
  throw new NotAllowedError(
    `refused by canary.policy.approverMustDiffer: ${action} would pass the approval gate before stage ${
      gate + 1
    } (${
      stages[gate].weight
    } %), and ${actor} launched this rollout; someone else must approve it`,
  );
}
