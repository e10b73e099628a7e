import {
  Phase,
  emptyArmSample,
} from '@canary-release/backstage-plugin-canary-common';
import { BUILT_IN_STRATEGY, resolveStrategy } from '../strategy/strategy';
import { stageWeights } from './reconcile';
import type { ActualState, RolloutRecord } from './types';

/** Test data for the engine: a rollout in a given phase and the world it would see. */

export const T0 = new Date('2026-11-26T12:00:00.000Z');

/** The built-in strategy with an error-rate margin a few hundred requests can show. */
export const TEST_STRATEGY = resolveStrategy(BUILT_IN_STRATEGY, {
  analysis: {
    metrics: [
      { name: 'error-rate', kind: 'proportion', margin: 0.05, critical: true },
      { name: 'latency', kind: 'distribution', critical: true, unit: 's' },
    ],
  },
});

export const at = (ms: number) => new Date(T0.getTime() + ms);

/** How long the test strategy's first stage lasts at least. */
export const MIN_STAGE_0 = TEST_STRATEGY.stages[0].minDurationMs;

/** All traffic on the stable version. */
export const ALL_STABLE = { stable: 100, canary: 0 };

export function makeRollout(
  overrides: Partial<RolloutRecord> = {},
): RolloutRecord {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    entityRef: 'component:default/demo-shop',
    target: {
      namespace: 'default',
      name: 'demo-shop',
      router: 'demo',
      metrics: 'demo',
      workload: 'demo',
    },
    stableVersion: '1.0.0',
    canaryVersion: '1.1.0',
    strategy: TEST_STRATEGY,
    phase: 'Pending',
    stageIndex: -1,
    weights: { stable: 100, canary: 0 },
    message: '',
    analysis: {
      consecutiveNoData: 0,
      stageTotals: { baseline: emptyArmSample(), canary: emptyArmSample() },
      latestVerdicts: [],
    },
    createdBy: 'user:default/owner',
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    revision: 1,
    ...overrides,
  };
}

/** A rollout settled in stage `stageIndex` (traffic shifted, clock started at T0). */
export function inStage(
  stageIndex: number,
  phase: Phase = 'Progressing',
  overrides: Partial<RolloutRecord> = {},
): RolloutRecord {
  const rollout = makeRollout({ phase, stageIndex, ...overrides });
  return {
    ...rollout,
    weights: stageWeights(rollout.strategy.stages[stageIndex].weight),
    canarySizedFor: rollout.strategy.stages[stageIndex].weight,
    stageStartedAt: T0.toISOString(),
    analysis: {
      ...rollout.analysis,
      nextLookAt: at(rollout.strategy.analysis.intervalMs).toISOString(),
    },
  };
}

/** The world as it is when it matches what `rollout` wants in a stage. */
export function worldOf(rollout: RolloutRecord): ActualState {
  return {
    weights: rollout.weights,
    workload: {
      stable: { version: rollout.stableVersion, ready: true },
      canary:
        rollout.weights.canary > 0
          ? { version: rollout.canaryVersion, ready: true }
          : undefined,
    },
  };
}

/** Prometheus' default histogram buckets, in seconds. */
const DEFAULT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function sample(requests: number, errors: number, p95Seconds = 0.05) {
  // All requests in the default bucket that holds p95Seconds.
  const counts = new Array(DEFAULT_BUCKETS.length + 1).fill(0);
  const bucket = DEFAULT_BUCKETS.findIndex(bound => bound >= p95Seconds);
  counts[bucket < 0 ? DEFAULT_BUCKETS.length : bucket] = requests;
  return { requests, errors, latency: { bounds: DEFAULT_BUCKETS, counts } };
}
