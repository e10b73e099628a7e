import type {
  ArmSample,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type { Knex } from 'knex';
import request from 'supertest';
import {
  createTestDatabases,
  FAST,
  SHOP,
  startBackend,
} from '../__testUtils__/testBackend';
import { MemoryWorld } from '../testing/memoryProviders';

/**
 * Provider faults through the service and the store, on SQLite and PostgreSQL: the memory world
 * with its metrics, reads or writes failing on demand, and a second backend started on the same
 * database in the middle of the fault, as after a crash. The fault is part of the stored rollout,
 * so the restarted engine neither announces it again nor forgets it; transitions are applied once.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

/** The memory world, with providers that fail while `down` says so. */
class FaultyWorld extends MemoryWorld {
  down: { metrics?: string; writes?: string } = {};
  refusedWrites = 0;

  async sample(target: RolloutTarget, arm: 'baseline' | 'canary') {
    if (this.down.metrics) throw new Error(this.down.metrics);
    return super.sample(target, arm) as Promise<ArmSample>;
  }

  async setWeights(target: RolloutTarget, weights: Weights) {
    if (this.down.writes) {
      this.refusedWrites += 1;
      throw new Error(this.down.writes);
    }
    return super.setWeights(target, weights);
  }
}

/** One stage long enough that faults, not the metrics, decide what happens in it. */
const LONG_STAGE = { ...FAST, stages: [{ weight: 10, minDuration: '10s' }] };

/** The stage of LONG_STAGE with looks 10 s apart: longer than a test. */
const NO_LOOK_DUE = {
  ...LONG_STAGE,
  analysis: { ...FAST.analysis, interval: '10s' },
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe.each(databases.eachSupportedId())(
  'provider faults across a restart, on %s',
  databaseId => {
    let knex: Knex;
    let world: FaultyWorld;
    let backend: Awaited<ReturnType<typeof startBackend>>;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      world = new FaultyWorld();
      backend = await startBackend({ knex, world });
    });

    const restart = async (options: { withoutProviders?: boolean } = {}) => {
      backend = await startBackend({ knex, world, ...options });
    };
    const get = async (id: string) =>
      (await request(backend.server).get(`/api/canary/rollouts/${id}`)).body;
    const audit = async (id: string): Promise<any[]> =>
      (await request(backend.server).get(`/api/canary/audit?rolloutId=${id}`))
        .body.items;
    const faultsIn = (events: any[]) =>
      events
        .filter(e => e.action.startsWith('provider-'))
        .map(e => `${e.action} ${e.details.operation} ${e.details.provider}`);

    /** Ticks every 30 ms until `done` holds for the rollout (or 10 s pass). */
    async function tickUntil(id: string, done: (rollout: any) => boolean) {
      const deadline = Date.now() + 10_000;
      let rollout = await get(id);
      while (!done(rollout) && Date.now() < deadline) {
        await backend.tick();
        await sleep(30);
        rollout = await get(id);
      }
      return rollout;
    }

    async function ticks(n: number) {
      for (let i = 0; i < n; i++) await backend.tick();
    }

    async function rolloutInStage(strategy: object = LONG_STAGE) {
      const res = await request(backend.server)
        .post('/api/canary/rollouts')
        .send({ entityRef: SHOP, canaryVersion: '1.1.0', strategy })
        .expect(201);
      const rollout = await tickUntil(res.body.id, r => !!r.stageStartedAt);
      expect(rollout.phase).toBe('Progressing');
      return res.body.id as string;
    }

    it('metrics down: one fault across the restart, a pause after exactly three looks, one recovery', async () => {
      const id = await rolloutInStage();
      world.down.metrics = 'metrics store unreachable';
      const first = await tickUntil(id, r => r.analysis.consecutiveNoData > 0);
      expect(first.message).toMatch(
        /^Reading the metrics \(memory\) has failed since \S+$/,
      );
      expect(first.faults).toEqual([
        expect.objectContaining({ error: 'metrics store unreachable' }),
      ]);

      await restart();
      const paused = await tickUntil(id, r => r.phase !== 'Progressing');
      expect(paused.phase).toBe('Paused');
      const analysis = (
        await request(backend.server).get(`/api/canary/rollouts/${id}/analysis`)
      ).body;
      expect(
        analysis.verdicts.filter((v: any) => v.verdicts[0].verdict === 'error'),
      ).toHaveLength(3);

      world.down.metrics = undefined;
      const recovered = await tickUntil(id, r => !r.faults);
      expect(recovered).toMatchObject({
        phase: 'Paused',
        message: paused.message,
      });
      const events = await audit(id);
      expect(faultsIn(events)).toEqual([
        'provider-fault read metrics',
        'provider-recovered read metrics',
      ]);
      expect(events.filter(e => e.action === 'pause')).toHaveLength(1);
    });

    it('router writes refused during a rollback: retried every tick across the restart, recorded once, applied once', async () => {
      const id = await rolloutInStage();
      world.down.writes = 'route is locked by another controller';
      const aborted = await request(backend.server)
        .post(`/api/canary/rollouts/${id}/actions`)
        .send({ action: 'abort', reason: 'bad build' })
        .expect(200);
      expect(aborted.body).toMatchObject({
        phase: 'RollingBack',
        faults: [
          {
            provider: 'router',
            operation: 'write',
            error: 'setWeights failed: route is locked by another controller',
          },
        ],
        message: expect.stringMatching(
          /^Changing the traffic router \(memory\) has failed since \S+$/,
        ),
      });

      await ticks(3);
      await restart();
      await ticks(3);
      expect((await get(id)).phase).toBe('RollingBack');
      expect(world.weights).toEqual({ stable: 90, canary: 10 });
      // The abort, then every tick.
      expect(world.refusedWrites).toBeGreaterThanOrEqual(7);

      world.down.writes = undefined;
      expect((await tickUntil(id, r => r.phase === 'Aborted')).faults).toBe(
        undefined,
      );
      expect(world.weights).toEqual({ stable: 100, canary: 0 });
      const events = await audit(id);
      expect(faultsIn(events)).toEqual([
        'provider-fault write router',
        'provider-recovered write router',
      ]);
      expect(events.filter(e => e.action === 'abort')).toHaveLength(1);
      expect(events.filter(e => e.action === 'rolled-back')).toHaveLength(1);
    });

    it('a backend restarted without the provider module: the rollouts wait with a fault instead of failing, and go on once it is back', async () => {
      // No look falls due in this test: the metrics are not read, and no no-data policy applies.
      const id = await rolloutInStage(NO_LOOK_DUE);
      await restart({ withoutProviders: true });
      await ticks(3);
      const waiting = await get(id);
      expect(waiting).toMatchObject({
        phase: 'Progressing',
        faults: [
          expect.objectContaining({ provider: 'router', operation: 'read' }),
          expect.objectContaining({ provider: 'workload', operation: 'read' }),
        ],
      });
      expect(waiting.message).toMatch(
        /^Reading the traffic router \(memory\) has failed since \S+; Reading the workload \(memory\) has failed since \S+$/,
      );
      expect(waiting.faults[0].error).toMatch(
        /^No traffic router "memory", metrics provider "memory", workload controller "memory" is installed in this backend \(installed: routers none; metrics none; workloads none\)/,
      );
      const aborted = await request(backend.server)
        .post(`/api/canary/rollouts/${id}/actions`)
        .send({ action: 'abort', reason: 'module missing' })
        .expect(200);
      expect(aborted.body.phase).toBe('RollingBack');
      expect(world.weights).toEqual({ stable: 90, canary: 10 });

      await restart();
      const done = await tickUntil(id, r => r.phase === 'Aborted');
      expect(done.phase).toBe('Aborted');
      expect(done.faults).toBeUndefined();
      expect(world.weights).toEqual({ stable: 100, canary: 0 });
      const events = await audit(id);
      expect(events.map(e => e.action)).not.toContain('fail');
      expect(events.filter(e => e.action === 'abort')).toHaveLength(1);
      expect(events.filter(e => e.action === 'rolled-back')).toHaveLength(1);
      expect(faultsIn(events)).toEqual(
        expect.arrayContaining([
          'provider-fault read router',
          'provider-fault read workload',
          'provider-recovered read router',
          'provider-recovered read workload',
        ]),
      );
    });
  },
);
