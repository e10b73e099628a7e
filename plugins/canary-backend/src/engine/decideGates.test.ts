import { resolveStrategy, strategyInputSchema } from '../strategy/strategy';
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
import type { GateAnswer, HookOutcome, RolloutRecord } from './types';

/** Gating webhooks in `decide`: it asks for answers, and acts on the answers it is given. */

const withHooks = (
  rollout: RolloutRecord,
  hooks: Array<{ name: string; type: string }>,
  stages?: Array<{ weight: number; requireApproval?: boolean }>,
): RolloutRecord => ({
  ...rollout,
  strategy: resolveStrategy(
    rollout.strategy,
    strategyInputSchema.parse({
      webhooks: hooks.map(h => ({ ...h, url: `http://127.0.0.1:9/${h.name}` })),
      ...(stages && {
        stages: stages.map(s => ({ ...s, minDuration: '30m' })),
      }),
    }),
  ),
});

const ok = (name: string): HookOutcome => ({
  name,
  ok: true,
  status: 200,
  attempts: 1,
  durationMs: 5,
});
const refused = (name: string, status = 503): HookOutcome => ({
  name,
  ok: false,
  status,
  error: `HTTP ${status}`,
  attempts: 3,
  durationMs: 1500,
});

/** A healthy look at the end of stage 0's minimum: the stage passes its analysis. */
function passingLook(rollout: RolloutRecord, ms = MIN_STAGE_0) {
  const baselineRequests =
    (400 * rollout.weights.stable) / rollout.weights.canary;
  return {
    window: { start: at(ms - 60_000).toISOString(), end: at(ms).toISOString() },
    baseline: sample(baselineRequests, baselineRequests / 400),
    canary: sample(400, 1),
  };
}

const confirm = (...results: HookOutcome[]): GateAnswer => ({
  type: 'confirm-promotion',
  results,
});

describe('decide: the pre-rollout gate', () => {
  const pending = withHooks(makeRollout(), [
    { name: 'smoke', type: 'pre-rollout' },
    { name: 'load', type: 'pre-rollout' },
    { name: 'slack', type: 'post-rollout' },
  ]);

  it('asks the pre-rollout webhooks before the first traffic shift, and changes nothing', () => {
    const decision = decide(pending, { actual: worldOf(pending) }, T0);
    expect(decision.gate).toMatchObject({
      type: 'pre-rollout',
      hooks: [{ name: 'smoke' }, { name: 'load' }],
      reason: 'Starting: 5 % of traffic to 1.1.0',
    });
    expect(decision).toMatchObject({ actions: [], events: [], changed: false });
    expect(decision.rollout.phase).toBe('Pending');
  });

  const cases: Array<
    [string, GateAnswer | undefined, 'ask' | 'Progressing' | 'Failed']
  > = [
    ['no answer yet', undefined, 'ask'],
    [
      'an answer to another gate',
      confirm(ok('smoke'), ok('load')),
      'ask', // never taken for this one
    ],
    [
      'all answered 2xx',
      { type: 'pre-rollout', results: [ok('smoke'), ok('load')] },
      'Progressing',
    ],
    [
      'one failed after its retries',
      { type: 'pre-rollout', results: [ok('smoke'), refused('load', 500)] },
      'Failed',
    ],
  ];

  it.each(cases)('with %s', (_name, gate, expected) => {
    const decision = decide(pending, { actual: worldOf(pending), gate }, T0);
    expect(decision.gate ? 'ask' : decision.rollout.phase).toBe(expected);
    expect(decision.changed).toBe(expected !== 'ask');
  });

  it('starts once all confirm, recording the answers', () => {
    const decision = decide(
      pending,
      {
        actual: worldOf(pending),
        gate: { type: 'pre-rollout', results: [ok('smoke'), ok('load')] },
      },
      T0,
    );
    expect(decision.events.map(e => e.action)).toEqual([
      'gate-confirmed',
      'start',
    ]);
    expect(decision.events[0]).toMatchObject({
      reason: 'Pre-rollout webhooks confirmed: "smoke", "load"',
      details: { gate: 'pre-rollout', results: [ok('smoke'), ok('load')] },
    });
    expect(decision.actions).toEqual([
      { type: 'deployCanary', version: '1.1.0', weight: 5 },
    ]);
  });

  it('fails without moving traffic when one fails, saying which and how', () => {
    const decision = decide(
      pending,
      {
        actual: worldOf(pending),
        gate: {
          type: 'pre-rollout',
          results: [ok('smoke'), refused('load', 500)],
        },
      },
      T0,
    );
    expect(decision.rollout).toMatchObject({
      phase: 'Failed',
      stageIndex: -1,
      weights: ALL_STABLE,
    });
    expect(decision.actions).toEqual([]);
    expect(decision.events).toHaveLength(1);
    expect(decision.events[0]).toMatchObject({
      action: 'fail',
      phaseBefore: 'Pending',
      phaseAfter: 'Failed',
      reason:
        'Pre-rollout webhook "load" (HTTP 500 after 3 attempts): no traffic was moved',
    });
  });

  it('starts at once without pre-rollout webhooks', () => {
    const plain = withHooks(makeRollout(), [
      { name: 'gate', type: 'confirm-promotion' },
    ]);
    const decision = decide(plain, { actual: worldOf(plain) }, T0);
    expect(decision.gate).toBeUndefined();
    expect(decision.rollout.phase).toBe('Progressing');
  });
});

describe('decide: the confirm-promotion gate', () => {
  const hooks = [
    { name: 'qa', type: 'confirm-promotion' },
    { name: 'change-board', type: 'confirm-promotion' },
  ];

  /** Where a passed stage goes, for each kind of next step. */
  const exits: Array<[string, RolloutRecord, string, string]> = [
    [
      'advance',
      withHooks(inStage(0), hooks),
      'Stage 1 (5 %) passed: moving to 25 %',
      'Progressing',
    ],
    [
      'await-approval',
      withHooks(inStage(0), hooks, [
        { weight: 5 },
        { weight: 25, requireApproval: true },
      ]),
      'Stage 1 (5 %) passed: waiting for approval before 25 %',
      'AwaitingApproval',
    ],
    [
      'complete',
      withHooks(inStage(0), hooks, [{ weight: 5 }]),
      'Stage 1 (5 %) passed: promoting 1.1.0',
      'Promoting',
    ],
  ];

  it.each(exits)(
    'gates %s: asks, holds on a refusal, goes on when all confirm',
    (event, rollout, reason, confirmedPhase) => {
      const observations = {
        actual: worldOf(rollout),
        look: passingLook(rollout),
      };
      const now = at(MIN_STAGE_0);

      const asked = decide(rollout, observations, now);
      expect(asked.gate).toMatchObject({ type: 'confirm-promotion', reason });
      expect(asked.gate!.hooks.map(h => h.name)).toEqual([
        'qa',
        'change-board',
      ]);
      expect(asked.changed).toBe(false);
      // The payload shows the verdicts of the look that passed the stage.
      expect(asked.rollout.analysis.latestVerdicts.length).toBeGreaterThan(0);

      const held = decide(
        rollout,
        { ...observations, gate: confirm(ok('qa'), refused('change-board')) },
        now,
      );
      expect(held.rollout).toMatchObject({
        phase: 'Progressing',
        stageIndex: 0,
        message: `${reason}; waiting for confirm-promotion webhook "change-board" (HTTP 503 after 3 attempts)`,
        promotionGate: {
          stageIndex: 0,
          refusedSince: now.toISOString(),
          refusedBy: ['change-board'],
        },
      });
      expect(held.lookRecord).toBeDefined(); // the look still counts
      expect(held.events.map(e => e.action)).toEqual(['gate-refused']);

      const later = at(MIN_STAGE_0 + 60_000);
      const passed = decide(
        held.rollout,
        {
          actual: worldOf(rollout),
          look: passingLook(rollout, MIN_STAGE_0 + 60_000),
          gate: confirm(ok('qa'), ok('change-board')),
        },
        later,
      );
      expect(passed.rollout.phase).toBe(confirmedPhase);
      expect(passed.rollout.promotionGate).toBeUndefined();
      expect(passed.events.map(e => e.action)).toEqual([
        'gate-confirmed',
        event,
      ]);
    },
  );

  it('records a refusal once, and again only when the refusing webhooks change', () => {
    const rollout = withHooks(inStage(0), hooks);
    let current = rollout;
    const actionsPerLook: string[][] = [];
    const answers = [
      confirm(ok('qa'), refused('change-board')),
      confirm(ok('qa'), refused('change-board', 403)),
      confirm(refused('qa'), refused('change-board')),
      confirm(refused('qa'), refused('change-board')),
    ];
    answers.forEach((gate, i) => {
      const ms = MIN_STAGE_0 + i * 60_000;
      const decision = decide(
        current,
        { actual: worldOf(rollout), look: passingLook(rollout, ms), gate },
        at(ms),
      );
      actionsPerLook.push(decision.events.map(e => e.action));
      current = decision.rollout;
    });
    expect(actionsPerLook).toEqual([
      ['gate-refused'],
      [],
      ['gate-refused'],
      [],
    ]);
    expect(current.promotionGate).toEqual({
      stageIndex: 0,
      refusedSince: at(MIN_STAGE_0).toISOString(),
      refusedBy: ['qa', 'change-board'],
    });
    expect(current.message).toContain('(HTTP 503 after 3 attempts)');
  });

  it('keeps the rollback rules running while it waits', () => {
    const waiting = {
      ...withHooks(inStage(0), hooks),
      promotionGate: {
        stageIndex: 0,
        refusedSince: T0.toISOString(),
        refusedBy: ['qa'],
      },
    };
    const bad = {
      window: passingLook(waiting).window,
      baseline: sample(2000, 10),
      canary: sample(500, 40),
    };
    const decision = decide(
      waiting,
      { actual: worldOf(waiting), look: bad },
      at(MIN_STAGE_0),
    );
    expect(decision.gate).toBeUndefined(); // a regression is not a question for the gate
    expect(decision.rollout.phase).toBe('RollingBack');
    expect(decision.rollout.promotionGate).toBeUndefined();
  });

  it('does not ask before the stage has passed', () => {
    const rollout = withHooks(inStage(0), hooks);
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: passingLook(rollout, 60_000) },
      at(60_000),
    );
    expect(decision.gate).toBeUndefined();
    expect(decision.rollout.phase).toBe('Progressing');
  });

  it("does not gate a user's promote: the user decides", () => {
    const rollout = withHooks(inStage(0), hooks);
    const decision = decide(
      rollout,
      {
        actual: worldOf(rollout),
        command: { action: 'promote', actor: 'user:default/owner' },
      },
      at(1),
    );
    expect(decision.gate).toBeUndefined();
    expect(decision.rollout.stageIndex).toBe(1);
  });

  it('leaves strategies without webhooks as they were', () => {
    const rollout = inStage(0);
    expect(TEST_STRATEGY.webhooks).toEqual([]);
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), look: passingLook(rollout) },
      at(MIN_STAGE_0),
    );
    expect(decision.gate).toBeUndefined();
    expect(decision.events.map(e => e.action)).toEqual(['advance']);
  });
});
