import type { PolicyAction } from '@canary-release/backstage-plugin-canary-common';
import { resolveStrategy } from '../strategy/strategy';
import { decide, recordActionOutcome } from './decide';
import {
  ALL_STABLE,
  at,
  inStage,
  makeRollout,
  MIN_STAGE_0,
  sample,
  T0,
  TEST_STRATEGY,
  worldOf,
} from './testRollout';
import type { Decision, Look, Observations, RolloutRecord } from './types';

/**
 * Provider faults as `decide` sees them: a look whose metrics failed (`look.error`), a world that
 * could not be read (`unreadable`), and actions that failed (`recordActionOutcome`). Each fault is
 * one `provider-fault` event when it starts and one `provider-recovered` when it ends, the message
 * says what fails while it lasts, and the phase follows the documented policies: the no-data
 * policy after exactly `maxConsecutiveNoData` looks, the progress deadline for the world.
 */

const INTERVAL = TEST_STRATEGY.analysis.intervalMs;
const DEADLINE = TEST_STRATEGY.progressDeadlineMs;
const DOWN =
  'Prometheus query canary.prometheus.queries.requests failed: cannot reach http://prometheus:9090: connect ECONNREFUSED';

/** A look ending at `ms`: healthy numbers (no error in either arm), or the provider's error. */
function look(ms: number, error?: string): Look {
  const window = {
    start: at(ms - INTERVAL).toISOString(),
    end: at(ms).toISOString(),
  };
  return error
    ? { window, error }
    : {
        window,
        baseline: sample(19 * 400, 0),
        canary: sample(400, 0),
      };
}

/** Runs ticks one after the other, each on the rollout the previous one returned. */
function run(
  start: RolloutRecord,
  ticks: Array<[ms: number, observations: (r: RolloutRecord) => Observations]>,
): Decision[] {
  let rollout = start;
  return ticks.map(([ms, observe]) => {
    const decision = decide(rollout, observe(rollout), at(ms));
    rollout = { ...decision.rollout, revision: rollout.revision + 1 };
    return decision;
  });
}

const actionsOf = (d: Decision) => d.events.map(e => e.action);

/** A look every interval: `errors[i]` is the error of look i + 1 (undefined: a healthy look). */
const looks = (errors: Array<string | undefined>) =>
  errors.map(
    (error, i) =>
      [
        (i + 1) * INTERVAL,
        (r: RolloutRecord) => ({
          actual: worldOf(r),
          look: look((i + 1) * INTERVAL, error),
        }),
      ] as [number, (r: RolloutRecord) => Observations],
  );

function withNoDataPolicy(max: number, action: PolicyAction) {
  return inStage(0, 'Progressing', {
    strategy: resolveStrategy(TEST_STRATEGY, {
      analysis: { maxConsecutiveNoData: max, noDataAction: action },
    }),
  });
}

describe('decide: a metrics provider that fails', () => {
  it('a short fault: one event when it starts, one when it ends, the phase untouched', () => {
    const decisions = run(inStage(0), looks([DOWN, DOWN, undefined]));
    expect(decisions.map(actionsOf)).toEqual([
      ['provider-fault'],
      [],
      ['provider-recovered'],
    ]);
    expect(decisions.map(d => d.rollout.phase)).toEqual([
      'Progressing',
      'Progressing',
      'Progressing',
    ]);

    const [first, second, recovered] = decisions;
    expect(first.events[0]).toMatchObject({
      actor: 'engine',
      reason: 'Reading the metrics (demo) fails',
      details: {
        provider: 'metrics',
        operation: 'read',
        kind: 'demo',
        error: DOWN,
        since: at(INTERVAL).toISOString(),
      },
    });
    expect(first.rollout.faults).toEqual([first.events[0].details]);
    const message = `Reading the metrics (demo) has failed since ${at(
      INTERVAL,
    ).toISOString()}`;
    expect(first.rollout.message).toBe(message);
    // While it lasts nothing new is said, but the look is recorded as having no data.
    expect(second.rollout.message).toBe(message);
    expect(second.lookRecord?.verdicts[0]).toMatchObject({
      verdict: 'error',
      explanation:
        'No metrics for this look: the metrics provider (demo) failed',
    });
    expect(second.rollout.analysis.consecutiveNoData).toBe(2);

    expect(recovered.events[0]).toMatchObject({
      reason: 'Reading the metrics (demo) works again after 2m',
      details: { provider: 'metrics', durationMs: 2 * INTERVAL },
    });
    expect(recovered.rollout.faults).toBeUndefined();
    expect(recovered.rollout.message).toBe(
      'Reading the metrics (demo) works again after 2m',
    );
    // Analysis resumes: the healthy look counts, the no-data streak is over.
    expect(recovered.rollout.analysis.consecutiveNoData).toBe(0);
    expect(recovered.rollout.analysis.stageTotals.canary.requests).toBe(400);
  });

  const policies: Array<[number, PolicyAction, string]> = [
    [1, 'pause', 'Paused'],
    [2, 'pause', 'Paused'],
    [3, 'rollback', 'RollingBack'],
    [5, 'rollback', 'RollingBack'],
  ];
  it.each(policies)(
    'a long fault: after exactly %i looks without data the no-data policy (%s) applies',
    (max, action, phase) => {
      const decisions = run(
        withNoDataPolicy(max, action),
        looks(Array(max).fill(DOWN)),
      );
      const phases = decisions.map(d => d.rollout.phase);
      expect(phases.slice(0, max - 1).every(p => p === 'Progressing')).toBe(
        true,
      );
      expect(phases[max - 1]).toBe(phase);
      expect(decisions.flatMap(actionsOf)).toEqual(['provider-fault', action]);
      const policy = decisions[max - 1].events.find(e => e.action === action)!;
      expect(policy.reason).toBe(
        `No usable metrics for ${max} look${
          max === 1 ? '' : 's'
        } in a row (limit ${max}; no metrics: the metrics provider (demo) failed): ${
          action === 'pause' ? 'pausing for a decision' : 'rolling back'
        }`,
      );
      // The transition says what happened, and why; the fault is still open.
      expect(decisions[max - 1].rollout.message).toBe(policy.reason);
      expect(decisions[max - 1].rollout.faults).toHaveLength(1);
    },
  );

  it('never promotes on looks without data, even long past the minimum duration', () => {
    const rollout = withNoDataPolicy(1000, 'pause');
    const ticks = looks(Array(40).fill(DOWN));
    const decisions = run(rollout, ticks);
    expect(40 * INTERVAL).toBeGreaterThan(MIN_STAGE_0);
    expect(decisions.flatMap(actionsOf)).toEqual(['provider-fault']);
    expect(decisions.at(-1)!.rollout).toMatchObject({
      phase: 'Progressing',
      stageIndex: 0,
    });
  });

  it('a look with too few requests is missing data, but not a provider fault', () => {
    // A quiet service: the split is right, there are just too few requests.
    const quiet: Look = {
      ...look(INTERVAL),
      baseline: sample(57, 0),
      canary: sample(3, 0),
    };
    const decision = decide(
      inStage(0),
      { actual: worldOf(inStage(0)), look: quiet },
      at(INTERVAL),
    );
    expect(decision.events).toEqual([]);
    expect(decision.rollout.faults).toBeUndefined();
    expect(decision.rollout.analysis.consecutiveNoData).toBe(1);
  });

  it('a paused rollout keeps its reason when the metrics come back', () => {
    const decisions = run(
      withNoDataPolicy(1, 'pause'),
      looks([DOWN, undefined]),
    );
    expect(decisions.map(actionsOf)).toEqual([
      ['provider-fault', 'pause'],
      ['provider-recovered'],
    ]);
    expect(decisions[1].rollout.phase).toBe('Paused');
    expect(decisions[1].rollout.message).toBe(decisions[0].rollout.message);
    expect(decisions[1].rollout.message).toMatch(/pausing for a decision$/);
  });

  it('a rollout that ends drops the faults it still had, without claiming a recovery', () => {
    const [, rolledBack] = run(withNoDataPolicy(1, 'rollback'), [
      [INTERVAL, r => ({ actual: worldOf(r), look: look(INTERVAL, DOWN) })],
      [
        INTERVAL + 1,
        r => ({
          actual: { ...worldOf(r), weights: ALL_STABLE },
        }),
      ],
    ]);
    expect(rolledBack.rollout.phase).toBe('RolledBack');
    expect(rolledBack.rollout.faults).toBeUndefined();
    expect(actionsOf(rolledBack)).toEqual(['rolled-back']);
  });
});

describe('decide: a router or workload that cannot be read', () => {
  const unplaced = {
    ...inStage(0),
    shiftStartedAt: T0.toISOString(),
    stageStartedAt: undefined,
  };
  const apiDown = {
    router:
      'Kubernetes cluster "test" did not answer the get of VirtualService shop/shop',
    workload:
      'Kubernetes cluster "test" did not answer the get of Deployment shop/shop',
  };
  const blind = (): Observations => ({
    unreadable: apiDown,
  });

  it('a short fault: the stage is not in place until the router is read again', () => {
    const decisions = run(unplaced, [
      [1000, blind],
      [2000, blind],
      [3000, r => ({ actual: worldOf(r) })],
    ]);
    expect(decisions.map(actionsOf)).toEqual([
      ['provider-fault', 'provider-fault'],
      [],
      ['provider-recovered', 'provider-recovered', 'traffic-shifted'],
    ]);
    expect(decisions[0].events.map(e => e.details.provider)).toEqual([
      'router',
      'workload',
    ]);
    expect(decisions[0].events[0].reason).toBe(
      'Reading the traffic router (demo) fails',
    );
    expect(decisions[0].rollout.message).toBe(
      `Reading the traffic router (demo) has failed since ${at(
        1000,
      ).toISOString()}; Reading the workload (demo) has failed since ${at(
        1000,
      ).toISOString()}`,
    );
    expect(decisions[1].rollout.stageStartedAt).toBeUndefined();
    // Blind, it keeps deploying the canary (idempotent) but moves no traffic.
    expect(decisions[1].actions.map(a => a.type)).toEqual(['deployCanary']);
    expect(decisions[2].rollout.stageStartedAt).toBe(at(3000).toISOString());
    expect(decisions[2].rollout.faults).toBeUndefined();
  });

  it('only the provider that failed is named', () => {
    const decision = decide(
      unplaced,
      { unreadable: { workload: apiDown.workload } },
      at(1000),
    );
    expect(decision.rollout.faults).toEqual([
      expect.objectContaining({ provider: 'workload', operation: 'read' }),
    ]);
  });

  it('a long fault rolls back a stage at the progress deadline, and the rollback completes once the world answers', () => {
    const decisions = run(unplaced, [
      [1000, blind],
      [DEADLINE + 1, blind],
      [DEADLINE + 2, blind],
      [DEADLINE + 3, blind],
      [DEADLINE + 4, () => ({ actual: worldOf(makeRollout()) })],
    ]);
    expect(decisions.map(actionsOf)).toEqual([
      ['provider-fault', 'provider-fault'],
      ['rollback'],
      [],
      [],
      ['provider-recovered', 'provider-recovered', 'rolled-back'],
    ]);
    expect(decisions[1].events[0].reason).toBe(
      'Stage 1 was not in place within the progress deadline (10m): still waiting for the router and workload to answer',
    );
    // Blind, a rollback still sends all traffic to stable, every tick.
    for (const d of decisions.slice(1, 4)) {
      expect(d.actions).toEqual([{ type: 'setWeights', weights: ALL_STABLE }]);
    }
    expect(decisions[4].rollout.phase).toBe('RolledBack');
  });

  it('a long fault during the promotion fails the rollout at the progress deadline', () => {
    const promoting = makeRollout({
      phase: 'Promoting',
      stageIndex: 2,
      weights: ALL_STABLE,
      shiftStartedAt: T0.toISOString(),
    });
    const decisions = run(promoting, [
      [1000, blind],
      [DEADLINE + 1, blind],
    ]);
    expect(decisions.map(d => d.rollout.phase)).toEqual([
      'Promoting',
      'Failed',
    ]);
    expect(decisions[1].events[0].reason).toBe(
      'The promotion did not complete within the progress deadline (10m): still waiting for the router and workload to answer',
    );
    expect(decisions[1].rollout.faults).toBeUndefined();
  });
});

describe('recordActionOutcome: a provider that cannot act', () => {
  const conflict =
    'setWeights failed: VirtualService shop/shop in Kubernetes cluster "test" kept changing while the canary engine wrote it (409 Conflict)';

  it('records one fault while the action keeps failing, and its end once it succeeds', () => {
    const rollout = inStage(0);
    const first = recordActionOutcome(
      rollout,
      { workload: null, router: conflict },
      at(1000),
    );
    expect(actionsOf(first)).toEqual(['provider-fault']);
    expect(first.events[0]).toMatchObject({
      reason: 'Changing the traffic router (demo) fails',
      details: { provider: 'router', operation: 'write', error: conflict },
    });
    expect(first.rollout.message).toBe(
      `Changing the traffic router (demo) has failed since ${at(
        1000,
      ).toISOString()}`,
    );

    const again = recordActionOutcome(
      first.rollout,
      { router: 'setWeights failed: 500' },
      at(2000),
    );
    expect(again.changed).toBe(false);
    expect(again.rollout).toBe(first.rollout);

    // Reading the router works meanwhile: that does not end a fault of writing it.
    const read = decide(
      first.rollout,
      { actual: worldOf(first.rollout) },
      at(2500),
    );
    expect(read.rollout.faults).toEqual(first.rollout.faults);

    const done = recordActionOutcome(
      first.rollout,
      { router: null, workload: null },
      at(3000),
    );
    expect(done.events[0]).toMatchObject({
      action: 'provider-recovered',
      reason: 'Changing the traffic router (demo) works again after 2s',
      details: { durationMs: 2000 },
    });
    expect(done.rollout.faults).toBeUndefined();
  });

  it('a provider that cannot be read is not reported again for failing to act', () => {
    const [blind] = run(inStage(0), [
      [1000, () => ({ unreadable: { router: 'down', workload: 'down' } })],
    ]);
    const write = recordActionOutcome(
      blind.rollout,
      { workload: 'deployCanary failed: down' },
      at(1000),
    );
    expect(write.changed).toBe(false);
  });

  it('an action the tick did not try leaves its provider as it was', () => {
    const first = recordActionOutcome(
      inStage(0),
      { router: conflict },
      at(1000),
    );
    const deployFailed = recordActionOutcome(
      first.rollout,
      { workload: 'deployCanary failed: 500' },
      at(2000),
    );
    expect(deployFailed.rollout.faults?.map(f => f.provider)).toEqual([
      'router',
      'workload',
    ]);
  });
});

describe('recordActionOutcome: a provider that refuses to act', () => {
  const refusal = {
    provider: 'workload' as const,
    action: 'setStableVersion',
    error:
      "Deployment shop/shop lacks the label canary.backstage.io/entity=ab12 that marks it as component:default/shop's (rule: ownership mark)",
  };

  it.each(['Progressing', 'Promoting', 'RollingBack'] as const)(
    'fails a rollout that is %s at once, naming the rule, and drops its faults',
    phase => {
      const failing = recordActionOutcome(
        inStage(0),
        { router: 'setWeights failed: 500' },
        at(1000),
      ).rollout;
      const rollout = { ...failing, phase };
      const decision = recordActionOutcome(
        rollout,
        { router: null },
        at(2000),
        refusal,
      );
      expect(decision.rollout).toMatchObject({
        phase: 'Failed',
        finishedAt: at(2000).toISOString(),
        message: `Changing the workload (demo) was refused: ${refusal.error}. The engine changes nothing more; the traffic stays where it is`,
      });
      expect(decision.rollout.faults).toBeUndefined();
      expect(decision.events).toEqual([
        expect.objectContaining({
          action: 'fail',
          actor: 'engine',
          phaseBefore: phase,
          phaseAfter: 'Failed',
          details: { refusal },
        }),
      ]);
    },
  );

  it('leaves a finished rollout as it is', () => {
    const rollout = { ...inStage(0), phase: 'Failed' as const };
    const decision = recordActionOutcome(rollout, {}, at(1000), refusal);
    expect(decision.changed).toBe(false);
  });
});

it('records faults without touching its input, the same way every time', () => {
  const rollout = inStage(0);
  const copy = structuredClone(rollout);
  const observations = { actual: worldOf(rollout), look: look(INTERVAL, DOWN) };
  const first = decide(rollout, observations, at(INTERVAL));
  expect(decide(rollout, observations, at(INTERVAL))).toEqual(first);
  expect(rollout).toEqual(copy);
});
