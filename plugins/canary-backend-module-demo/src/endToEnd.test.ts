import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the engine the demo runs in
import canaryBackend from '@canary-release/backstage-plugin-canary-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the canary backend's test helpers
import {
  canaryComponent,
  TestScheduler,
} from '@canary-release/backstage-plugin-canary-backend/testUtils';
import request from 'supertest';
import { threeStageStrategy } from './__testUtils__/strategies';
import { canaryModuleDemo } from './module';

/**
 * The engine and the demo workload together, as `yarn start` runs them, with a compressed clock:
 * stages of one second, a look every 250 ms, and four times the demo's default traffic, so that a
 * whole rollout takes seconds. The demo serves real HTTP on loopback; nothing is mocked but the
 * catalog and the scheduler's timing (ticks are triggered by the test).
 */

jest.setTimeout(90_000);

const DEMO_SHOP = 'component:default/demo-shop';

const compressed = {
  minDuration: '1s',
  maxDuration: '15s',
  interval: '250ms',
  minRequestsPerLook: 3,
};

const config = {
  canary: {
    presets: {
      compressed: threeStageStrategy(compressed),
      // 1.3.0 adds 250 ms; the healthy demo answers in about a millisecond.
      'compressed-p95': threeStageStrategy({ ...compressed, p95LimitMs: 150 }),
    },
    demo: {
      requestsPerSecond: 400,
      startupDelayMs: 100,
      versions: {
        '1.0.0': { errorRate: 0 },
        '1.1.0': { errorRate: 0 },
        '1.2.0': { errorRate: 0.05 },
        '1.3.0': { errorRate: 0, latencyMs: 250 },
      },
    },
  },
};

const entity = canaryComponent(
  'demo-shop',
  { owner: 'guests' },
  { kind: 'demo', preset: 'compressed' },
);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function start() {
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const backend = await startTestBackend({
    features: [
      canaryBackend,
      canaryModuleDemo,
      catalogServiceMock.factory({ entities: [entity] }),
      scheduler.factory(),
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return {
    ...backend,
    tick: () => scheduler.triggerTask('canary-engine-tick'),
  };
}

/** Ticks every 100 ms until the rollout reaches one of `phases` (or 60 s pass). */
async function runUntil(
  backend: Awaited<ReturnType<typeof start>>,
  id: string,
  phases: string[],
) {
  const deadline = Date.now() + 60_000;
  let rollout: any;
  do {
    await backend.tick();
    rollout = (await request(backend.server).get(`/api/canary/rollouts/${id}`))
      .body;
    if (phases.includes(rollout.phase)) return rollout;
    await sleep(100);
  } while (Date.now() < deadline);
  return rollout;
}

async function launch(
  backend: Awaited<ReturnType<typeof start>>,
  version: string,
  preset?: string,
) {
  const res = await request(backend.server)
    .post('/api/canary/rollouts')
    .send({ entityRef: DEMO_SHOP, canaryVersion: version, preset });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function auditOf(backend: Awaited<ReturnType<typeof start>>, id: string) {
  const res = await request(backend.server).get(
    `/api/canary/audit?rolloutId=${id}`,
  );
  return res.body.items as any[];
}

describe('the engine on the embedded demo', () => {
  let backend: Awaited<ReturnType<typeof start>>;
  // startTestBackend stops the backend (and so the demo) after the tests.
  beforeAll(async () => {
    backend = await start();
  });

  it('walks a healthy canary through every stage to Succeeded', async () => {
    const id = await launch(backend, '1.1.0');
    const rollout = await runUntil(backend, id, [
      'Succeeded',
      'RolledBack',
      'Paused',
    ]);
    expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
    const actions = (await auditOf(backend, id)).map(e => e.action);
    expect(actions).toEqual([
      'launch',
      'start',
      'traffic-shifted',
      'advance',
      'traffic-shifted',
      'advance',
      'traffic-shifted',
      'complete',
      'promoted',
    ]);
    // The demo now runs 1.1.0 as stable, with no canary.
    const next = await request(backend.server)
      .post('/api/canary/rollouts')
      .send({ entityRef: DEMO_SHOP, canaryVersion: '1.2.0', reason: 'probe' });
    expect(next.body.stableVersion).toBe('1.1.0');
    await request(backend.server)
      .post(`/api/canary/rollouts/${next.body.id}/actions`)
      .send({ action: 'abort', reason: 'only probing the stable version' })
      .expect(200);
  });

  it('rolls back an erroring canary on the first look that sees its errors', async () => {
    const id = await launch(backend, '1.2.0');
    const rollout = await runUntil(backend, id, [
      'RolledBack',
      'Succeeded',
      'Paused',
    ]);
    expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);

    const analysis = (
      await request(backend.server).get(`/api/canary/rollouts/${id}/analysis`)
    ).body;
    const canaryErrors = analysis.series.find(
      (s: any) => s.metric === 'errors' && s.arm === 'canary',
    );
    const firstErrors = canaryErrors.points.find((p: any) => p.value > 0);
    const events = await auditOf(backend, id);
    const rollback = events.find(e => e.action === 'rollback');
    // The rollback was decided on the very look whose window first held canary errors.
    expect(rollback.details.look.window.end).toBe(firstErrors.at);
    expect(rollback.reason).toMatch(/Canary errors are \d+\.\d\d %/);
    expect(
      rollback.details.verdicts.some((v: any) => v.verdict === 'fail'),
    ).toBe(true);
    expect(events[events.length - 1]).toMatchObject({
      action: 'rolled-back',
      phaseAfter: 'RolledBack',
      weightsAfter: { stable: 100, canary: 0 },
    });
  });

  it('rolls back a slow canary on its p95 latency', async () => {
    const id = await launch(backend, '1.3.0', 'compressed-p95');
    const rollout = await runUntil(backend, id, [
      'RolledBack',
      'Succeeded',
      'Paused',
    ]);
    expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
    const rollback = (await auditOf(backend, id)).find(
      e => e.action === 'rollback',
    );
    expect(rollback.reason).toMatch(/p95 latency/);
  });
});
