import type {
  AuditEvent,
  Phase,
  Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import {
  looksTakenTwice,
  repeatedTransitions,
  worldMismatches,
} from './invariants';

/** The checks the crash and HA harnesses rely on must catch what they are for. */

let nextId = 1;
function event(
  action: string,
  phaseBefore: Phase | undefined,
  phaseAfter: Phase,
  stageIndex: number,
  rolloutId = 'r1',
): AuditEvent {
  return {
    id: nextId++,
    rolloutId,
    entityRef: 'component:default/shop',
    at: '2026-01-01T00:00:00.000Z',
    actor: 'engine',
    action,
    phaseBefore,
    phaseAfter,
    stageIndex,
    weightsAfter: { stable: 100, canary: 0 },
    reason: action,
    details: {},
  };
}

const healthyTrail = [
  event('launch', undefined, 'Pending', -1),
  event('start', 'Pending', 'Progressing', 0),
  event('traffic-shifted', 'Progressing', 'Progressing', 0),
  event('advance', 'Progressing', 'Progressing', 1),
  event('traffic-shifted', 'Progressing', 'Progressing', 1),
  event('complete', 'Progressing', 'Promoting', 1),
  event('promoted', 'Promoting', 'Succeeded', 1),
];

describe('repeatedTransitions', () => {
  it('accepts a trail with each transition once, and the same trail of another rollout', () => {
    const other = healthyTrail.map(e => ({ ...e, rolloutId: 'r2' }));
    expect(repeatedTransitions([...healthyTrail, ...other])).toEqual([]);
  });

  it.each([
    ['advance', 3],
    ['traffic-shifted', 2],
    ['promoted', 6],
    ['launch', 0],
  ])('flags %s applied twice', (action, index) => {
    const trail = [...healthyTrail];
    trail.splice(index + 1, 0, { ...healthyTrail[index], id: 999 });
    expect(repeatedTransitions(trail)).toEqual([
      expect.stringMatching(
        new RegExp(`applied twice: r1 ${action} .*event 999`),
      ),
    ]);
  });

  it('allows what the table can repeat within a stage, notes, and everything after a retry', () => {
    const trail = [
      event('launch', undefined, 'Pending', -1),
      event('start', 'Pending', 'Progressing', 0),
      event('pause', 'Progressing', 'Paused', 0),
      event('resume', 'Paused', 'Progressing', 0),
      event('pause', 'Progressing', 'Paused', 0),
      event('resume', 'Paused', 'Progressing', 0),
      event('provider-fault', 'Progressing', 'Progressing', 0),
      event('provider-fault', 'Progressing', 'Progressing', 0),
      event('rollback', 'Progressing', 'RollingBack', 0),
      event('rolled-back', 'RollingBack', 'RolledBack', 0),
      event('retry', 'RolledBack', 'Pending', -1),
      event('start', 'Pending', 'Progressing', 0),
      event('rollback', 'Progressing', 'RollingBack', 0),
      event('rolled-back', 'RollingBack', 'RolledBack', 0),
    ];
    expect(repeatedTransitions(trail)).toEqual([]);
    // Without the retry, the second attempt's transitions are repeats.
    expect(
      repeatedTransitions(trail.filter(e => e.action !== 'retry')),
    ).toHaveLength(3);
  });
});

describe('looksTakenTwice', () => {
  const analysis = (times: number[]) => ({
    rolloutId: 'r1',
    verdicts: [],
    series: (['baseline', 'canary'] as const).map(arm => ({
      metric: 'requests',
      arm,
      points: times.map(t => ({
        at: new Date(t).toISOString(),
        stageIndex: 0,
        value: 1,
      })),
    })),
  });

  it('accepts looks an interval or more apart', () => {
    expect(looksTakenTwice(analysis([0, 500, 1200, 1700]), 500)).toEqual([]);
  });

  it('flags two looks closer than the interval, and the same look twice, per arm', () => {
    expect(looksTakenTwice(analysis([0, 500, 520]), 500)).toEqual([
      expect.stringMatching(/r1 baseline: .* 20 ms apart/),
      expect.stringMatching(/r1 canary: .* 20 ms apart/),
    ]);
    expect(looksTakenTwice(analysis([0, 0]), 500)).toHaveLength(2);
  });
});

describe('worldMismatches', () => {
  const rollout = (patch: Partial<Rollout>): Rollout =>
    ({
      id: 'r1',
      target: { namespace: 'default', name: 'shop' },
      stableVersion: '1.0.0',
      canaryVersion: '2.0.0',
      phase: 'Succeeded',
      createdAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
      ...patch,
    } as Rollout);
  const workload = (stable: string, patch: object = {}) => ({
    namespace: 'default',
    name: 'shop',
    url: 'http://127.0.0.1:1',
    weights: { stable: 100, canary: 0 },
    state: { stable: { version: stable, ready: true } },
    ...patch,
  });

  it('accepts the world a final state wants', () => {
    expect(worldMismatches([workload('2.0.0')], [rollout({})])).toEqual({
      problems: [],
      versionsChecked: 1,
    });
    expect(
      worldMismatches([workload('1.0.0')], [rollout({ phase: 'RolledBack' })])
        .problems,
    ).toEqual([]);
  });

  it('flags traffic on the canary, a canary left running and the wrong stable version', () => {
    const { problems } = worldMismatches(
      [
        workload('1.0.0', {
          weights: { stable: 90, canary: 10 },
          state: {
            stable: { version: '1.0.0', ready: true },
            canary: { version: '2.0.0', ready: true },
          },
        }),
      ],
      [rollout({})],
    );
    expect(problems).toEqual([
      expect.stringMatching(/weights/),
      expect.stringMatching(/a canary runs 2\.0\.0/),
      expect.stringMatching(
        /stable runs 1\.0\.0, but rollout r1 ended Succeeded/,
      ),
    ]);
  });

  it('takes the latest rollout of each workload, and skips versions a restarted world forgot', () => {
    const older = rollout({ id: 'r0', createdAt: '2025-12-31T00:00:00.000Z' });
    expect(
      worldMismatches([workload('2.0.0')], [rollout({}), older]).problems,
    ).toEqual([]);
    expect(
      worldMismatches(
        [workload('1.0.0')],
        [rollout({})],
        new Date('2026-01-01T00:02:00.000Z'),
      ),
    ).toEqual({ problems: [], versionsChecked: 0 });
  });
});
