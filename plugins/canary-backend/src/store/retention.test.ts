import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  createTestDatabases,
  startBackend,
} from '../__testUtils__/testBackend';
import { inStage, makeRollout, sample } from '../engine/testRollout';
import type { LookRecord, RolloutRecord } from '../engine/types';
import { RolloutStore } from './RolloutStore';

/** Old measurements and verdicts go; the audit trail and the rollouts stay. */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs the retention tests on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

/** A look whose window ends `days` ago, with one verdict. */
function lookEnding(days: number): LookRecord {
  const end = daysAgo(days);
  return {
    look: {
      window: {
        start: new Date(end.getTime() - 60_000).toISOString(),
        end: end.toISOString(),
      },
      baseline: sample(1000, 10),
      canary: sample(100, 1),
    },
    stageIndex: 0,
    verdicts: [
      {
        metric: 'error-rate',
        rule: 'msprt',
        verdict: 'inconclusive',
        explanation: 'too early',
      },
    ],
  };
}

/** Inserts a rollout with one audit event and one saved look per entry of `lookAges` (days). */
async function seed(
  store: RolloutStore,
  id: string,
  lookAges: number[],
): Promise<{ rollout: RolloutRecord; looks: LookRecord[] }> {
  let rollout = inStage(0, 'Progressing', {
    id,
    target: { ...makeRollout().target, name: `retained-${id}` },
  });
  await store.insert(rollout, [
    {
      rolloutId: id,
      entityRef: rollout.entityRef,
      at: daysAgo(90).toISOString(),
      actor: 'user:default/owner',
      action: 'launch',
      phaseAfter: rollout.phase,
      stageIndex: 0,
      weightsAfter: rollout.weights,
      reason: 'launch',
      details: {},
    },
  ]);
  const looks = lookAges.map(lookEnding);
  for (const look of looks) {
    rollout = { ...rollout, revision: rollout.revision + 1 };
    await store.save(rollout, [], look);
  }
  return { rollout, looks };
}

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

describe.each(databases.eachSupportedId())(
  'pruneMeasurements on %p',
  (databaseId: TestDatabaseId) => {
    it('deletes what was taken before the cutoff, in batches, and nothing else', async () => {
      const knex = await databases.init(databaseId);
      const store = await RolloutStore.create(mockServices.database({ knex }));
      const { rollout: old } = await seed(
        store,
        '00000000-0000-4000-8000-000000000001',
        [60, 50, 40, 31],
      );
      const { rollout: mixed, looks } = await seed(
        store,
        '00000000-0000-4000-8000-000000000002',
        [45, 10, 1],
      );
      const auditBefore = await knex('canary_audit_events').orderBy('id');
      const rolloutsBefore = await knex('canary_rollouts').orderBy('id');

      // Batches of 2: the 6 old looks' 12 measurement rows take several statements.
      const pruned = await store.pruneMeasurements(
        daysAgo(30).toISOString(),
        2,
      );
      expect(pruned).toEqual({ measurements: 10, verdicts: 5 });
      expect(await count(knex, 'canary_measurements')).toBe(4);
      expect(await count(knex, 'canary_verdicts')).toBe(2);

      // The rollout with only old looks: empty series, nothing to chart.
      expect(await store.analysis(old.id)).toEqual({
        rolloutId: old.id,
        series: [],
        verdicts: [],
      });
      const kept = await store.analysis(mixed.id);
      const recentEnds = looks.slice(1).map(l => l.look.window.end);
      expect(kept.verdicts.map(v => v.at)).toEqual(recentEnds);
      expect(kept.series.length).toBeGreaterThan(0);
      for (const series of kept.series) {
        expect(series.points.map(p => p.at)).toEqual(recentEnds);
      }

      expect(await knex('canary_audit_events').orderBy('id')).toEqual(
        auditBefore,
      );
      expect(await knex('canary_rollouts').orderBy('id')).toEqual(
        rolloutsBefore,
      );
      expect(await store.verifyAudit()).toMatchObject({
        ok: true,
        complete: true,
        checked: 2,
      });

      // Nothing left to prune: a second pass deletes nothing.
      expect(
        await store.pruneMeasurements(daysAgo(30).toISOString(), 2),
      ).toEqual({ measurements: 0, verdicts: 0 });
    });
  },
);

describe('the retention task', () => {
  it('prunes by canary.retention.measurements, and the analysis route still answers', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server, triggerTask } = await startBackend({
      knex,
      config: { canary: { retention: { measurements: '7d' } } },
    });
    const store = new RolloutStore(knex);
    const { rollout } = await seed(
      store,
      '00000000-0000-4000-8000-000000000003',
      [9, 8],
    );
    const analysis = () =>
      request(server)
        .get(`/api/canary/rollouts/${rollout.id}/analysis`)
        .expect(200);
    expect((await analysis()).body.verdicts).toHaveLength(2);

    await triggerTask('canary-measurement-retention');

    expect((await analysis()).body).toEqual({
      rolloutId: rollout.id,
      series: [],
      verdicts: [],
    });
    const audit = await request(server)
      .get(`/api/canary/audit?rolloutId=${rollout.id}`)
      .expect(200);
    expect(audit.body.items.map((e: any) => e.action)).toEqual(['launch']);
  });

  it('is not scheduled with a zero retention', async () => {
    const { triggerTask } = await startBackend({
      config: { canary: { retention: { measurements: '0d' } } },
    });
    await expect(triggerTask('canary-measurement-retention')).rejects.toThrow(
      'Task canary-measurement-retention not found',
    );
    await expect(triggerTask('canary-engine-tick')).resolves.toBeUndefined();
  });

  it('refuses to start with a retention that is not a duration', async () => {
    await expect(
      startBackend({
        config: { canary: { retention: { measurements: '30 days' } } },
      }),
    ).rejects.toThrow(
      /canary.retention.measurements "30 days" is not a duration/,
    );
  });
});
