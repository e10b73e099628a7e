import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { createTestDatabases } from '../__testUtils__/testBackend';
import { inStage, makeRollout, sample, T0, at } from '../engine/testRollout';
import type { AuditEventDraft, RolloutRecord } from '../engine/types';
import { RolloutStore, StaleRevisionError } from './RolloutStore';

const { databases, hasRequiredDatabases } = createTestDatabases();

let idCounter = 0;
function newId() {
  idCounter += 1;
  return `00000000-0000-4000-8000-${String(idCounter).padStart(12, '0')}`;
}

function event(
  rollout: RolloutRecord,
  action: string,
  atMs = 0,
): AuditEventDraft {
  return {
    rolloutId: rollout.id,
    entityRef: rollout.entityRef,
    at: at(atMs).toISOString(),
    actor: action === 'launch' ? 'user:default/owner' : 'engine',
    action,
    phaseAfter: rollout.phase,
    stageIndex: rollout.stageIndex,
    weightsAfter: rollout.weights,
    reason: `${action} happened`,
    details: { n: 1 },
  };
}

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  return RolloutStore.create(mockServices.database({ knex }));
}

describe('the test script provides PostgreSQL', () => {
  it('runs the store tests on PostgreSQL in CI', () => {
    // Where the test script started PostgreSQL (and in CI), the store must be proven on it: a
    // missing database is a failure, not a silent skip.
    expect(hasRequiredDatabases()).toBe(true);
  });
});

describe.each(databases.eachSupportedId())('RolloutStore on %p', databaseId => {
  let store: RolloutStore;
  beforeAll(async () => {
    store = await createStore(databaseId);
  });

  it('inserts, reads and lists active rollouts', async () => {
    const rollout = makeRollout({
      id: newId(),
      target: { ...makeRollout().target, name: 'a' },
    });
    await store.insert(rollout, [event(rollout, 'launch')]);
    expect(await store.get(rollout.id)).toEqual(rollout);
    expect((await store.listActive()).map(r => r.id)).toContain(rollout.id);
    const audit = await store.listAudit({ rolloutId: rollout.id, limit: 10 });
    expect(audit.items).toEqual([
      expect.objectContaining({
        action: 'launch',
        details: { n: 1 },
        weightsAfter: rollout.weights,
      }),
    ]);
  });

  it('allows one active rollout per target, even when two launch at once', async () => {
    const target = { ...makeRollout().target, name: 'contended' };
    const first = makeRollout({ id: newId(), target });
    const second = makeRollout({ id: newId(), target });
    const results = await Promise.allSettled([
      store.insert(first, [event(first, 'launch')]),
      store.insert(second, [event(second, 'launch')]),
    ]);
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find(
      r => r.status === 'rejected',
    ) as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    const active = (await store.listActive()).filter(
      r => r.target.name === 'contended',
    );
    expect(active).toHaveLength(1);
    // The loser left no audit event behind.
    const loser = active[0].id === first.id ? second : first;
    expect(
      (await store.listAudit({ rolloutId: loser.id, limit: 10 })).items,
    ).toEqual([]);
  });

  it('saves only from the current revision: two writers, one winner', async () => {
    const rollout = inStage(0, 'Progressing', {
      id: newId(),
      target: { ...makeRollout().target, name: 'raced' },
    });
    await store.insert(rollout, []);
    const a = { ...rollout, revision: 2, message: 'a' };
    const b = { ...rollout, revision: 2, message: 'b' };
    const results = await Promise.allSettled([
      store.save(a, [event(a, 'pause')]),
      store.save(b, [event(b, 'advance')]),
    ]);
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find(
      r => r.status === 'rejected',
    ) as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(StaleRevisionError);
    const events = (await store.listAudit({ rolloutId: rollout.id, limit: 10 }))
      .items;
    expect(events).toHaveLength(1);
    expect((await store.get(rollout.id))!.message).toBe(
      events[0].action === 'pause' ? 'a' : 'b',
    );
  });

  it('frees the target when a rollout ends, and guards a retry', async () => {
    const target = { ...makeRollout().target, name: 'reused' };
    const old = makeRollout({ id: newId(), target });
    await store.insert(old, []);
    await store.save({ ...old, phase: 'Aborted', revision: 2 }, [
      event(old, 'abort'),
    ]);
    const fresh = makeRollout({ id: newId(), target });
    await store.insert(fresh, []);
    const retried = { ...old, phase: 'Pending' as const, revision: 3 };
    await expect(
      store.save(retried, [event(retried, 'retry')]),
    ).rejects.toThrow('already has an active rollout');
    expect((await store.get(old.id))!.phase).toBe('Aborted');
  });

  it('stores looks as measurements and verdicts, and serves them as series', async () => {
    const rollout = inStage(0, 'Progressing', {
      id: newId(),
      target: { ...makeRollout().target, name: 'measured' },
    });
    await store.insert(rollout, []);
    const look = {
      window: { start: T0.toISOString(), end: at(60_000).toISOString() },
      baseline: sample(1000, 10),
      canary: sample(100, 3),
    };
    await store.save({ ...rollout, revision: 2 }, [], {
      look,
      stageIndex: 0,
      verdicts: [
        {
          metric: 'error-rate',
          rule: 'msprt',
          verdict: 'pass',
          explanation: 'fine',
        },
      ],
    });
    const analysis = await store.analysis(rollout.id);
    const canaryErrors = analysis.series.find(
      s => s.metric === 'error-rate' && s.arm === 'canary',
    );
    expect(canaryErrors!.points).toEqual([
      { at: at(60_000).toISOString(), stageIndex: 0, value: 0.03 },
    ]);
    const p95 = analysis.series.find(
      s => s.metric === 'latency-p95' && s.arm === 'baseline',
    );
    // Every request in the (0.025, 0.05] bucket: the p95 interpolated as Prometheus does.
    expect(p95!.points[0].value).toBeCloseTo(0.04875, 10);
    expect(analysis.verdicts).toEqual([
      {
        at: at(60_000).toISOString(),
        stageIndex: 0,
        verdicts: [
          expect.objectContaining({
            rule: 'msprt',
            verdict: 'pass',
          }),
        ],
      },
    ]);
  });

  it('filters and pages the audit trail', async () => {
    const rollout = makeRollout({
      id: newId(),
      entityRef: 'component:default/audited',
      target: { ...makeRollout().target, name: 'audited' },
    });
    const events = [0, 1, 2, 3, 4].map(i =>
      event(rollout, i === 0 ? 'launch' : 'advance', i * 1000),
    );
    await store.insert(rollout, events);
    const byEntity = { entityRef: 'component:default/audited', limit: 2 };
    const page1 = await store.listAudit(byEntity);
    const page2 = await store.listAudit({
      ...byEntity,
      cursor: page1.nextCursor,
    });
    const page3 = await store.listAudit({
      ...byEntity,
      cursor: page2.nextCursor,
    });
    expect(
      [...page1.items, ...page2.items, ...page3.items].map(e => e.at),
    ).toEqual(events.map(e => e.at));
    expect(page3.nextCursor).toBeUndefined();
    expect(
      (
        await store.listAudit({
          ...byEntity,
          limit: 10,
          actor: 'user:default/owner',
        })
      ).items,
    ).toHaveLength(1);
    expect(
      (await store.listAudit({ ...byEntity, limit: 10, action: 'advance' }))
        .items,
    ).toHaveLength(4);
    const window = await store.listAudit({
      ...byEntity,
      limit: 10,
      from: at(1000).toISOString(),
      to: at(3000).toISOString(),
    });
    expect(window.items.map(e => e.at)).toEqual([
      at(1000).toISOString(),
      at(2000).toISOString(),
    ]);
  });
});
