import { DatabaseManager } from '@backstage/backend-defaults/database';
import {
  LifecycleService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  ArmSample,
  MetricVerdict,
  Phase,
  RandomSource,
  createSeededRandom,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import { randomUUID } from 'node:crypto';
import type { AuditEventDraft, RolloutRecord } from '../src/engine/types';
import { RolloutStore } from '../src/store/RolloutStore';
import { BUILT_IN_STRATEGY } from '../src/strategy/strategy';
import { BENCH_KIND } from './world';

/** What a look at the end of a stage typically shows: the judge's and the thresholds' verdicts. */
const VERDICTS: MetricVerdict[] = [
  {
    metric: 'error-rate',
    rule: 'msprt',
    verdict: 'pass',
    estimate: 0.0004,
    baseline: 0.0021,
    canary: 0.0025,
    interval: [-0.0021, 0.0029],
    pValue: 0.41,
    threshold: 0.005,
    sampleSize: { baseline: 95000, canary: 5000 },
    confidenceLevel: 0.95,
    critical: true,
    unit: 'fraction',
    scale: 'absolute',
    classical: {
      method: 'newcombe',
      pValue: 0.38,
      interval: [-0.0009, 0.0019],
    },
    explanation:
      'The canary fails 0.25 % of requests against 0.21 % on stable: shown no worse than the 0.5-point margin.',
  },
  {
    metric: 'latency-p95',
    rule: 'quantile-band',
    verdict: 'pass',
    estimate: 0.02,
    baseline: 0.182,
    canary: 0.186,
    interval: [-0.03, 0.07],
    threshold: 0.1,
    sampleSize: { baseline: 95000, canary: 5000 },
    confidenceLevel: 0.95,
    critical: true,
    unit: 's',
    scale: 'relative',
    explanation:
      'p95 latency 186 ms on the canary against 182 ms on stable (+2 %), within the 10 % margin.',
  },
  {
    metric: 'latency-p50',
    rule: 'quantile-band',
    verdict: 'pass',
    estimate: 0.01,
    baseline: 0.041,
    canary: 0.0414,
    interval: [-0.02, 0.04],
    threshold: 0.1,
    sampleSize: { baseline: 95000, canary: 5000 },
    confidenceLevel: 0.95,
    critical: true,
    unit: 's',
    scale: 'relative',
    explanation:
      'Median latency 41 ms on the canary against 41 ms on stable (+1 %), within the 10 % margin.',
  },
  {
    metric: 'error-rate',
    rule: 'success.maxErrorRateIncrease',
    verdict: 'pass',
    estimate: 0.0004,
    threshold: 0.005,
    explanation:
      'The error rate rose by 0.04 points over the stage, under the 0.5-point limit for success.',
  },
  {
    metric: 'error-rate',
    rule: 'rollback.maxErrorRate',
    verdict: 'pass',
    canary: 0.0025,
    threshold: 0.05,
    explanation: 'Error rate 0.25 % is under the 5 % rollback limit.',
  },
  {
    metric: 'latency-p95',
    rule: 'rollback.maxP95Ms',
    verdict: 'pass',
    canary: 186,
    threshold: 2000,
    explanation: 'p95 latency 186 ms is under the 2000 ms rollback limit.',
  },
];

function armSample(requests: number): ArmSample {
  const fast = Math.round(requests * 0.9);
  return {
    requests,
    errors: Math.round(requests * 0.002),
    latency: {
      bounds: [0.025, 0.05, 0.1, 0.25, 0.5, 1],
      counts: [
        Math.round(fast / 2),
        fast - Math.round(fast / 2),
        requests - fast,
        0,
        0,
        0,
        0,
      ],
    },
  };
}

/** Phases of finished rollouts, as often as they happen. */
function finalPhase(random: RandomSource): Phase {
  const x = random();
  if (x < 0.75) return 'Succeeded';
  if (x < 0.9) return 'RolledBack';
  if (x < 0.97) return 'Aborted';
  return 'Failed';
}

function historicRollout(
  name: string,
  n: number,
  createdAt: Date,
  phase: Phase,
): RolloutRecord {
  const active = !isFinalPhase(phase);
  const stageIndex = phase === 'Succeeded' ? 2 : 1;
  const at = (minutes: number) =>
    new Date(createdAt.getTime() + minutes * 60_000).toISOString();
  return {
    id: randomUUID(),
    entityRef: `component:default/${name}`,
    owner: 'group:default/team-bench',
    target: {
      namespace: 'default',
      name,
      router: BENCH_KIND,
      metrics: BENCH_KIND,
      workload: BENCH_KIND,
    },
    stableVersion: `1.${n}.0`,
    canaryVersion: `1.${n + 1}.0`,
    strategy: BUILT_IN_STRATEGY,
    phase,
    stageIndex,
    shiftStartedAt: at(60),
    stageStartedAt: at(61),
    canarySizedFor: BUILT_IN_STRATEGY.stages[stageIndex].weight,
    weights: active ? { stable: 75, canary: 25 } : { stable: 100, canary: 0 },
    message: active
      ? 'Stage 2 of 3: 25 % of traffic on the canary'
      : `Ended ${phase}`,
    analysis: {
      lastLookAt: at(120),
      nextLookAt: at(121),
      consecutiveNoData: 0,
      stageTotals: { baseline: armSample(95000), canary: armSample(5000) },
      latestVerdicts: VERDICTS,
    },
    createdBy: 'user:default/bench',
    reason: `Release 1.${n + 1}.0`,
    createdAt: createdAt.toISOString(),
    updatedAt: at(180),
    finishedAt: active ? undefined : at(180),
    revision: 12,
  };
}

function launchEvent(rollout: RolloutRecord): AuditEventDraft {
  return {
    rolloutId: rollout.id,
    entityRef: rollout.entityRef,
    at: rollout.createdAt,
    actor: rollout.createdBy,
    action: 'launch',
    phaseAfter: 'Pending',
    stageIndex: -1,
    weightsAfter: { stable: 100, canary: 0 },
    reason: rollout.reason ?? '',
    details: {},
  };
}

/** Lifecycles that only collect shutdown hooks, run when the history is stored. */
function lifecycles() {
  const hooks: Array<() => void | Promise<void>> = [];
  const lifecycle: LifecycleService & RootLifecycleService = {
    addStartupHook() {},
    addBeforeShutdownHook() {},
    addShutdownHook(hook) {
      hooks.push(hook);
    },
  };
  return {
    lifecycle,
    shutdown: async () => {
      for (const hook of hooks) await hook();
    },
  };
}

/**
 * Stores `count` rollouts over `entities` services through the store (one insert each, with its
 * audit event): the newest rollout of every tenth service is active, the others finished over
 * the last 90 days.
 */
export async function storeHistory(options: {
  database: JsonObject;
  count: number;
  entities: number;
  seed: number;
}): Promise<{ ids: string[]; entityRefs: string[] }> {
  const random = createSeededRandom(options.seed);
  const logger = mockServices.rootLogger({ level: 'warn' });
  const { lifecycle, shutdown } = lifecycles();
  const manager = DatabaseManager.fromConfig(
    new ConfigReader({ backend: { database: options.database } }),
    { rootLifecycle: lifecycle, rootLogger: logger },
  );
  const database = manager.forPlugin('canary', { logger, lifecycle });
  const store = await RolloutStore.create(database);
  const perEntity = Math.ceil(options.count / options.entities);
  const now = Date.now();
  const ids: string[] = [];
  const entityRefs: string[] = [];
  for (let e = 0; e < options.entities; e++) {
    const name = `svc-${e}`;
    entityRefs.push(`component:default/${name}`);
    for (let n = 0; n < perEntity && ids.length < options.count; n++) {
      const newest = n === perEntity - 1;
      const phase = newest && e % 10 === 0 ? 'Progressing' : finalPhase(random);
      const createdAt = new Date(
        now - 90 * 86_400_000 * (1 - (n + random()) / perEntity),
      );
      const rollout = historicRollout(name, n, createdAt, phase);
      await store.insert(rollout, [launchEvent(rollout)]);
      ids.push(rollout.id);
    }
  }
  await shutdown();
  await (await database.getClient()).destroy();
  return { ids, entityRefs };
}
