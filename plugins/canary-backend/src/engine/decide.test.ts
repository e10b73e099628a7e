import { ConflictError } from '@backstage/errors';
import {
  ArmSample,
  PHASES,
  Phase,
  ROLLOUT_ACTIONS,
  RolloutAction,
  allowedActions,
} from '@canary-release/backstage-plugin-canary-common';
import { resolveStrategy } from '../strategy/strategy';
import { decide } from './decide';
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
import type { RolloutRecord } from './types';

/** A rollout in `phase` with enough state for every action to be meaningful. */
function rolloutIn(phase: Phase): RolloutRecord {
  switch (phase) {
    case 'Pending':
      return makeRollout();
    case 'Progressing':
    case 'Paused':
    case 'AwaitingApproval':
      return inStage(0, phase);
    case 'Promoting':
    case 'RollingBack':
      return makeRollout({ phase, stageIndex: 2, weights: ALL_STABLE });
    default:
      return makeRollout({
        phase,
        stageIndex: 1,
        finishedAt: T0.toISOString(),
      });
  }
}

/**
 * What each manual action does in each phase, written out by hand (not derived from the table
 * the engine uses), so the test checks the table rather than repeating it. Absent: 409.
 */
const EXPECTED: Record<Phase, Partial<Record<RolloutAction, Phase>>> = {
  Pending: { abort: 'Aborted' },
  Progressing: {
    pause: 'Paused',
    promote: 'Progressing',
    'promote-full': 'Promoting',
    abort: 'RollingBack',
  },
  Paused: {
    resume: 'Progressing',
    promote: 'Progressing',
    'promote-full': 'Promoting',
    abort: 'RollingBack',
  },
  AwaitingApproval: {
    approve: 'Progressing',
    promote: 'Progressing',
    'promote-full': 'Promoting',
    abort: 'RollingBack',
  },
  Promoting: {},
  Succeeded: {},
  RollingBack: {},
  RolledBack: { retry: 'Pending' },
  Aborted: { retry: 'Pending' },
  Failed: { retry: 'Pending', abort: 'RollingBack' },
};

describe('decide: manual actions in every phase', () => {
  const cases = PHASES.flatMap(phase =>
    ROLLOUT_ACTIONS.map(action => [phase, action] as const),
  );

  const allowed = cases.filter(([phase, action]) => EXPECTED[phase][action]);
  const forbidden = cases.filter(([phase, action]) => !EXPECTED[phase][action]);

  it.each(allowed)('%s + %s is allowed', (phase, action) => {
    const rollout = rolloutIn(phase);
    const command = { action, actor: 'user:default/owner', reason: 'because' };
    const expected = EXPECTED[phase][action];
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), command },
      at(1000),
    );
    expect(decision.rollout.phase).toBe(expected);
    expect(allowedActions(phase, false)).toContain(action);
    expect(decision.events).toHaveLength(1);
    expect(decision.events[0]).toMatchObject({
      actor: 'user:default/owner',
      action,
      phaseBefore: phase,
      phaseAfter: expected,
      reason: 'because',
    });
  });

  it.each(forbidden)('%s + %s is a conflict', (phase, action) => {
    const rollout = rolloutIn(phase);
    const command = { action, actor: 'user:default/owner' };
    expect(() =>
      decide(rollout, { actual: worldOf(rollout), command }, at(1000)),
    ).toThrow(ConflictError);
    expect(allowedActions(phase, false)).not.toContain(action);
  });

  it('promote from the last stage completes the rollout', () => {
    const decision = decide(
      inStage(2),
      { command: { action: 'promote', actor: 'user:default/a' } },
      at(1),
    );
    expect(decision.rollout.phase).toBe('Promoting');
    expect(decision.rollout.weights).toEqual(ALL_STABLE);
  });

  it('promote enters the next stage and waits for its weights', () => {
    const decision = decide(
      inStage(0),
      { command: { action: 'promote', actor: 'user:default/a' } },
      at(1),
    );
    expect(decision.rollout).toMatchObject({
      phase: 'Progressing',
      stageIndex: 1,
      weights: { stable: 75, canary: 25 },
      stageStartedAt: undefined,
    });
  });

  it('abort from a stage rolls back and ends as Aborted', () => {
    const rollout = inStage(1);
    const aborted = decide(
      rollout,
      {
        actual: worldOf(rollout),
        command: { action: 'abort', actor: 'user:default/a' },
      },
      at(1),
    );
    expect(aborted.rollout.rollbackEndPhase).toBe('Aborted');
    expect(aborted.actions).toEqual([
      { type: 'setWeights', weights: ALL_STABLE },
    ]);
    const back = {
      ...worldOf(aborted.rollout),
      workload: { stable: { version: '1.0.0', ready: true } },
    };
    const done = decide(aborted.rollout, { actual: back }, at(2));
    expect(done.rollout.phase).toBe('Aborted');
    expect(done.rollout.finishedAt).toBe(at(2).toISOString());
  });

  it('a forbidden action changes nothing', () => {
    const rollout = rolloutIn('Succeeded');
    const copy = structuredClone(rollout);
    expect(() =>
      decide(rollout, { command: { action: 'pause', actor: 'a' } }, at(1)),
    ).toThrow('Cannot pause a rollout that is Succeeded');
    expect(rollout).toEqual(copy);
  });

  it('retry resets the rollout to its first stage', () => {
    const decision = decide(
      makeRollout({
        phase: 'RolledBack',
        stageIndex: 1,
        finishedAt: T0.toISOString(),
        rollbackEndPhase: 'RolledBack',
      }),
      { command: { action: 'retry', actor: 'user:default/a' } },
      at(1),
    );
    expect(decision.rollout).toMatchObject({
      phase: 'Pending',
      stageIndex: -1,
      finishedAt: undefined,
      rollbackEndPhase: undefined,
    });
  });
});

describe('decide: engine ticks', () => {
  /** 400 canary requests and the stable traffic the rollout's split implies, both at 0.25 %. */
  const healthyAt = (rollout: RolloutRecord) => {
    const baselineRequests =
      (400 * rollout.weights.stable) / rollout.weights.canary;
    return {
      baseline: sample(baselineRequests, baselineRequests / 400),
      canary: sample(400, 1),
    };
  };
  const look = (
    ms: number,
    arms: { baseline: ArmSample; canary: ArmSample } = healthyAt(inStage(0)),
  ) => ({
    window: { start: at(ms - 60_000).toISOString(), end: at(ms).toISOString() },
    ...arms,
  });

  it('starts a pending rollout and deploys the canary first', () => {
    const rollout = makeRollout();
    const decision = decide(rollout, { actual: worldOf(rollout) }, T0);
    expect(decision.rollout).toMatchObject({
      phase: 'Progressing',
      stageIndex: 0,
      weights: { stable: 95, canary: 5 },
    });
    expect(decision.actions).toEqual([
      { type: 'deployCanary', version: '1.1.0', weight: 5 },
    ]);
    expect(decision.events[0]).toMatchObject({
      actor: 'engine',
      action: 'start',
    });
  });

  it('waits for the canary to be ready before shifting traffic', () => {
    const rollout = { ...inStage(0), stageStartedAt: undefined };
    const notReady = {
      weights: ALL_STABLE,
      workload: {
        stable: { version: '1.0.0', ready: true },
        canary: { version: '1.1.0', ready: false },
      },
    };
    const waiting = decide(rollout, { actual: notReady }, at(1));
    expect(waiting.actions).toEqual([]);
    expect(waiting.changed).toBe(false);

    const ready = {
      ...notReady,
      workload: {
        ...notReady.workload,
        canary: { version: '1.1.0', ready: true },
      },
    };
    expect(decide(rollout, { actual: ready }, at(2)).actions).toEqual([
      { type: 'deployCanary', version: '1.1.0', weight: 5 },
      { type: 'setWeights', weights: { stable: 95, canary: 5 } },
    ]);
  });

  it('sizes the canary for a new stage first, and shifts traffic on a later tick', () => {
    const oldWorld = worldOf(inStage(0));
    const promoted = decide(
      inStage(0),
      {
        actual: oldWorld,
        command: { action: 'promote', actor: 'user:default/a' },
      },
      at(1),
    );
    expect(promoted.actions).toEqual([
      { type: 'deployCanary', version: '1.1.0', weight: 25 },
    ]);
    expect(promoted.rollout.canarySizedFor).toBe(25);
    // The resized canary is not ready yet: nothing moves.
    const resizing = {
      ...oldWorld,
      workload: {
        ...oldWorld.workload,
        canary: { version: '1.1.0', ready: false },
      },
    };
    expect(
      decide(promoted.rollout, { actual: resizing }, at(2)).actions,
    ).toEqual([]);
    expect(
      decide(promoted.rollout, { actual: oldWorld }, at(3)).actions,
    ).toEqual([
      { type: 'deployCanary', version: '1.1.0', weight: 25 },
      { type: 'setWeights', weights: { stable: 75, canary: 25 } },
    ]);
  });

  it('starts the stage clock when the router confirms the weights', () => {
    const rollout = { ...inStage(0), stageStartedAt: undefined };
    const decision = decide(rollout, { actual: worldOf(rollout) }, at(5000));
    expect(decision.rollout.stageStartedAt).toBe(at(5000).toISOString());
    expect(decision.events[0]).toMatchObject({ action: 'traffic-shifted' });
  });

  it('keeps judging until the minimum duration, adding up the stage', () => {
    const rollout = inStage(0);
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(60_000, healthyAt(rollout)) },
      at(60_000),
    );
    expect(decision.rollout.phase).toBe('Progressing');
    expect(decision.rollout.stageIndex).toBe(0);
    expect(decision.rollout.analysis.stageTotals.canary.requests).toBe(400);
    expect(decision.rollout.analysis.nextLookAt).toBe(
      at(120_000).toISOString(),
    );
    expect(decision.lookRecord?.verdicts.every(v => v.verdict === 'pass')).toBe(
      true,
    );
    expect(decision.events).toEqual([]);
  });

  it('advances a healthy stage at its minimum duration', () => {
    const rollout = inStage(0);
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(MIN_STAGE_0, healthyAt(rollout)) },
      at(MIN_STAGE_0),
    );
    expect(decision.rollout).toMatchObject({
      phase: 'Progressing',
      stageIndex: 1,
      weights: { stable: 75, canary: 25 },
    });
    expect(decision.rollout.analysis.stageTotals.canary.requests).toBe(0);
    expect(decision.events[0]).toMatchObject({
      action: 'advance',
      actor: 'engine',
    });
    expect(decision.events[0].details).toHaveProperty('verdicts');
  });

  it('waits for approval when the next stage has a gate', () => {
    const base = inStage(0);
    const rollout = {
      ...base,
      strategy: {
        ...base.strategy,
        stages: base.strategy.stages.map((s, i) => ({
          ...s,
          requireApproval: i === 1,
        })),
      },
    };
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(MIN_STAGE_0, healthyAt(rollout)) },
      at(MIN_STAGE_0),
    );
    expect(decision.rollout.phase).toBe('AwaitingApproval');
    expect(decision.rollout.stageIndex).toBe(0);
  });

  it('promotes after the last stage, then swaps stable and removes the canary', () => {
    const rollout = inStage(2);
    const end = rollout.strategy.stages[2].minDurationMs;
    const promoting = decide(
      rollout,
      { actual: worldOf(rollout), look: look(end, healthyAt(rollout)) },
      at(end),
    );
    expect(promoting.rollout.phase).toBe('Promoting');
    expect(promoting.actions).toEqual([
      { type: 'setStableVersion', version: '1.1.0' },
    ]);

    const swapped = {
      weights: { stable: 50, canary: 50 },
      workload: {
        stable: { version: '1.1.0', ready: true },
        canary: { version: '1.1.0', ready: true },
      },
    };
    expect(
      decide(promoting.rollout, { actual: swapped }, at(end + 1)).actions,
    ).toEqual([{ type: 'setWeights', weights: ALL_STABLE }]);
    const drained = { ...swapped, weights: ALL_STABLE };
    expect(
      decide(promoting.rollout, { actual: drained }, at(end + 2)).actions,
    ).toEqual([{ type: 'removeCanary' }]);
    const done = decide(
      promoting.rollout,
      {
        actual: {
          weights: ALL_STABLE,
          workload: { stable: { version: '1.1.0', ready: true } },
        },
      },
      at(end + 3),
    );
    expect(done.rollout.phase).toBe('Succeeded');
    expect(done.rollout.finishedAt).toBe(at(end + 3).toISOString());
  });

  it('rolls back at once when one look establishes a regression, with the numbers', () => {
    const rollout = inStage(1);
    const bad = { baseline: sample(2000, 10), canary: sample(500, 40) };
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(60_000, bad) },
      at(60_000),
    );
    expect(decision.rollout).toMatchObject({
      phase: 'RollingBack',
      weights: ALL_STABLE,
      rollbackEndPhase: 'RolledBack',
    });
    expect(decision.actions).toEqual([
      { type: 'setWeights', weights: ALL_STABLE },
    ]);
    const event = decision.events[0];
    expect(event).toMatchObject({
      action: 'rollback',
      actor: 'engine',
      phaseAfter: 'RollingBack',
    });
    expect(event.reason).toMatch(
      /^Error-rate regressed: canary error-rate is 8 % vs 0.5 % on baseline \(16x\); [\d.]+ % sure the increase is at least [\d.]+ points: rolling back$/,
    );
    const fired = (event.details.verdicts as any[]).filter(
      v => v.verdict === 'fail',
    );
    expect(fired).toEqual([
      expect.objectContaining({
        metric: 'error-rate',
        rule: 'msprt',
        canary: 0.08,
        baseline: 0.005,
        sampleSize: { baseline: 2000, canary: 500 },
      }),
    ]);
  });

  it('rolls back on a latency regression against the baseline', () => {
    const rollout = inStage(0);
    const slow = {
      baseline: sample(2000, 0, 0.1),
      canary: sample(100, 0, 0.35),
    };
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(60_000, slow) },
      at(60_000),
    );
    expect(decision.rollout.phase).toBe('RollingBack');
    expect(decision.events[0].reason).toMatch(
      /^Latency regressed: canary p\d+ latency is .*; 100 % of canary observations are slower than 0.1 s vs 0 % on baseline/,
    );
  });

  it('does not treat 1 error against a baseline of 0 as twice as bad', () => {
    const rollout = inStage(0);
    const arms = { baseline: sample(19_000, 0), canary: sample(1000, 1) };
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(60_000, arms) },
      at(60_000),
    );
    expect(decision.rollout.phase).toBe('Progressing');
  });

  it('still rolls back while paused, and does not advance', () => {
    const rollout = inStage(0, 'Paused');
    const bad = { baseline: sample(2000, 10), canary: sample(500, 100) };
    expect(
      decide(
        rollout,
        { actual: worldOf(rollout), look: look(60_000, bad) },
        at(60_000),
      ).rollout.phase,
    ).toBe('RollingBack');
    const calm = decide(
      rollout,
      { actual: worldOf(rollout), look: look(MIN_STAGE_0, healthyAt(rollout)) },
      at(MIN_STAGE_0),
    );
    expect(calm.rollout).toMatchObject({ phase: 'Paused', stageIndex: 0 });
  });

  it('never counts missing metrics as healthy: the no-data policy applies', () => {
    let rollout = inStage(0);
    const empty = { window: look(60_000).window, error: 'Prometheus is down' };
    for (let i = 1; i <= 3; i++) {
      const decision = decide(
        rollout,
        { actual: worldOf(rollout), look: empty },
        at(i * 60_000),
      );
      expect(decision.lookRecord?.verdicts[0].verdict).toBe('error');
      rollout = decision.rollout;
    }
    expect(rollout.phase).toBe('Paused');
    // The provider's own error stays in the rollout's faults, for those who may control it.
    expect(rollout.message).toContain('the metrics provider (demo) failed');
    expect(rollout.message).not.toContain('Prometheus is down');

    const strict = inStage(0, 'Progressing', {
      strategy: {
        ...inStage(0).strategy,
        analysis: {
          ...inStage(0).strategy.analysis,
          noDataAction: 'rollback',
          maxConsecutiveNoData: 1,
        },
      },
    });
    const quiet = { baseline: sample(100, 0), canary: sample(3, 0) };
    const decision = decide(
      strict,
      { actual: worldOf(strict), look: look(60_000, quiet) },
      at(60_000),
    );
    expect(decision.rollout.phase).toBe('RollingBack');
    expect(decision.events[0].reason).toContain(
      'fewer than 20 new canary requests at this look',
    );
    expect(decision.events.map(e => e.action)).toEqual(['rollback']);
  });

  it('a stage without enough traffic follows the inconclusive policy at its maximum', () => {
    const rollout = inStage(0);
    const thin = { baseline: sample(2000, 0), canary: sample(25, 0) };
    const atMin = decide(
      rollout,
      { actual: worldOf(rollout), look: look(MIN_STAGE_0, thin) },
      at(MIN_STAGE_0),
    );
    expect(atMin.rollout.phase).toBe('Progressing');

    const atMax = decide(
      rollout,
      { actual: worldOf(rollout), look: look(2 * MIN_STAGE_0, thin) },
      at(2 * MIN_STAGE_0),
    );
    expect(atMax.rollout.phase).toBe('Paused');
    expect(atMax.events[0].reason).toMatch(
      /^The stage reached its maximum duration with .*the minimum sample size is not reached: pausing for a decision$/,
    );
  });

  it('a hard ceiling rolls back when the canary is shown above it, even with a bad baseline', () => {
    // 8 % vs 7 % errors: no regression against the baseline is established, but the canary's own
    // rate is shown above the 5 % ceiling.
    const arms = { baseline: sample(20_000, 1400), canary: sample(4000, 320) };
    const base = inStage(0);
    const strategy = resolveStrategy(base.strategy, {
      analysis: {
        metrics: [
          {
            name: 'error-rate',
            kind: 'proportion',
            margin: 0.05,
            maxRate: 0.05,
            critical: true,
          },
        ],
      },
    });
    const rollout = { ...base, strategy };
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: look(60_000, arms) },
      at(60_000),
    );
    expect(decision.rollout.phase).toBe('RollingBack');
    expect(decision.lookRecord!.verdicts[0]).toMatchObject({
      rule: 'max-rate',
      verdict: 'fail',
      canary: 0.08,
      threshold: 0.05,
    });
    expect(decision.events[0].reason).toMatch(
      /canary error-rate is 8 % of 4000; [\d.]+ % sure it is above the ceiling of 5 %/,
    );
  });

  it('rolls back without knowing the world, and confirms only once it is seen', () => {
    const rollingBack = makeRollout({
      phase: 'RollingBack',
      stageIndex: 1,
      weights: ALL_STABLE,
    });
    const blind = decide(
      rollingBack,
      { unreadable: { router: 'router down' } },
      at(1),
    );
    expect(blind.actions).toEqual([
      { type: 'setWeights', weights: ALL_STABLE },
    ]);
    expect(blind.rollout.phase).toBe('RollingBack');
    const seen = decide(
      rollingBack,
      {
        actual: {
          weights: ALL_STABLE,
          workload: { stable: { version: '1.0.0', ready: true } },
        },
      },
      at(2),
    );
    expect(seen.rollout.phase).toBe('RolledBack');
  });

  it('is a pure function: same input, same output, input untouched', () => {
    const rollout = inStage(0);
    const copy = structuredClone(rollout);
    const observations = {
      actual: worldOf(rollout),
      look: look(MIN_STAGE_0, healthyAt(rollout)),
    };
    const first = decide(rollout, observations, at(MIN_STAGE_0));
    const second = decide(rollout, observations, at(MIN_STAGE_0));
    expect(first).toEqual(second);
    expect(rollout).toEqual(copy);
  });

  it('uses custom strategies as given', () => {
    const strategy = resolveStrategy(inStage(0).strategy, {
      stages: [{ weight: 50, minDuration: 1000 }],
    });
    const rollout = makeRollout({ strategy });
    expect(
      decide(rollout, { actual: worldOf(rollout) }, T0).rollout.weights,
    ).toEqual({
      stable: 50,
      canary: 50,
    });
  });

  it('rolls back a stage whose canary never becomes ready, at the progress deadline', () => {
    const rollout = {
      ...inStage(1),
      stageStartedAt: undefined,
      shiftStartedAt: T0.toISOString(),
    };
    const stuck = {
      weights: { stable: 95, canary: 5 },
      workload: {
        stable: { version: '1.0.0', ready: true },
        canary: { version: '1.1.0', ready: false },
      },
    };
    const deadline = rollout.strategy.progressDeadlineMs;
    expect(decide(rollout, { actual: stuck }, at(deadline)).rollout.phase).toBe(
      'Progressing',
    );
    const late = decide(rollout, { actual: stuck }, at(deadline + 1));
    expect(late.rollout.phase).toBe('RollingBack');
    expect(late.events[0].reason).toContain(
      'not in place within the progress deadline (10m): still waiting for canary 1.1.0 to become ready',
    );
  });

  it('fails a promotion that never completes, at the progress deadline', () => {
    const promoting = makeRollout({
      phase: 'Promoting',
      stageIndex: 2,
      weights: ALL_STABLE,
      shiftStartedAt: T0.toISOString(),
    });
    const stuck = {
      weights: { stable: 50, canary: 50 },
      workload: {
        stable: { version: '1.1.0', ready: false },
        canary: { version: '1.1.0', ready: true },
      },
    };
    const late = decide(
      promoting,
      { actual: stuck },
      at(promoting.strategy.progressDeadlineMs + 1),
    );
    expect(late.rollout.phase).toBe('Failed');
    expect(late.events[0].reason).toContain('stable 1.1.0 to become ready');
  });

  it('deploys a baseline of the stable version when the strategy asks for one', () => {
    const rollout = makeRollout({
      strategy: { ...makeRollout().strategy, dedicatedBaseline: true },
    });
    expect(decide(rollout, { actual: worldOf(rollout) }, T0).actions).toEqual([
      {
        type: 'deployCanary',
        version: '1.1.0',
        weight: 5,
        baselineVersion: '1.0.0',
      },
    ]);
  });

  describe('with the statistical judge', () => {
    /** No hard ceilings: whatever happens here is the comparison with the baseline. */
    const statisticsOnly = (rollout: RolloutRecord): RolloutRecord => ({
      ...rollout,
      strategy: {
        ...rollout.strategy,
        analysis: {
          ...rollout.strategy.analysis,
          metrics: rollout.strategy.analysis.metrics.map(m =>
            m.kind === 'proportion'
              ? { ...m, maxRate: undefined, maxRatio: undefined }
              : m,
          ),
        },
      },
    });

    it('rolls back an established regression and says why, with its numbers', () => {
      const rollout = statisticsOnly(inStage(0));
      const arms = { baseline: sample(19_000, 95), canary: sample(1000, 60) };
      const decision = decide(
        rollout,
        { actual: worldOf(rollout), look: look(60_000, arms) },
        at(60_000),
      );
      expect(decision.rollout.phase).toBe('RollingBack');
      const verdict = decision.lookRecord!.verdicts.find(
        v => v.rule === 'msprt',
      )!;
      expect(verdict).toMatchObject({ metric: 'error-rate', verdict: 'fail' });
      expect(verdict.interval![0]).toBeGreaterThan(0);
      expect(verdict.pValue).toBeLessThan(0.05);
      expect(decision.events[0].reason).toMatch(/error-rate/);
    });

    it('does not promote what it cannot show non-inferior: the inconclusive policy applies', () => {
      const strict = statisticsOnly(
        inStage(0, 'Progressing', {
          strategy: resolveStrategy(TEST_STRATEGY, {
            analysis: {
              metrics: [
                {
                  name: 'error-rate',
                  kind: 'proportion',
                  margin: 0.001,
                  critical: true,
                },
              ],
            },
          }),
        }),
      );
      const arms = healthyAt(strict);
      const atMin = decide(
        strict,
        { actual: worldOf(strict), look: look(MIN_STAGE_0, arms) },
        at(MIN_STAGE_0),
      );
      expect(atMin.rollout).toMatchObject({
        phase: 'Progressing',
        stageIndex: 0,
      });
      expect(
        atMin.lookRecord!.verdicts.find(v => v.rule === 'msprt')!.verdict,
      ).toBe('inconclusive');
      const atMax = decide(
        atMin.rollout,
        { actual: worldOf(strict), look: look(2 * MIN_STAGE_0, arms) },
        at(2 * MIN_STAGE_0),
      );
      expect(atMax.rollout.phase).toBe('Paused');
      expect(atMax.events[0].reason).toMatch(/not yet shown non-inferior/);
    });

    it('pauses when the traffic split is not what the router was told', () => {
      const rollout = inStage(0);
      const skewed = { baseline: sample(2000, 5), canary: sample(2000, 5) };
      const decision = decide(
        rollout,
        { actual: worldOf(rollout), look: look(60_000, skewed) },
        at(60_000),
      );
      expect(decision.rollout.phase).toBe('Paused');
      expect(
        decision.lookRecord!.verdicts.find(v => v.metric === 'sample-ratio')!
          .verdict,
      ).toBe('fail');
    });

    it('carries its state from look to look, and starts afresh in each stage', () => {
      const rollout = inStage(0);
      const first = decide(
        rollout,
        { actual: worldOf(rollout), look: look(60_000, healthyAt(rollout)) },
        at(60_000),
      );
      expect(first.rollout.analysis.judgeState?.looks).toBe(1);
      const second = decide(
        first.rollout,
        { actual: worldOf(rollout), look: look(120_000, healthyAt(rollout)) },
        at(120_000),
      );
      expect(second.rollout.analysis.judgeState?.looks).toBe(2);
      const advanced = decide(
        second.rollout,
        {
          actual: worldOf(rollout),
          look: look(MIN_STAGE_0, healthyAt(rollout)),
        },
        at(MIN_STAGE_0),
      );
      expect(advanced.rollout.stageIndex).toBe(1);
      expect(advanced.rollout.analysis.judgeState).toBeUndefined();
    });
  });
});
