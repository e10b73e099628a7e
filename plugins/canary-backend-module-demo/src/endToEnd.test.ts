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
    },
    // Like production traffic: 1 % background errors on both arms, latency around 30 ms.
    demo: {
      requestsPerSecond: 400,
      startupDelayMs: 100,
      versions: {
        '1.0.0': { errorRate: 0.01 },
        '1.1.0': { errorRate: 0.01 },
        '1.2.0': { errorRate: 0.06 },
        '1.3.0': { errorRate: 0.01, latencyMs: 250 },
        // Healthy for its first 1.5 s, then 5 points more errors.
        '1.4.0': { errorRate: 0.06, regressAfterMs: 1500 },
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
    const trail = await auditOf(backend, id);
    // On a failure, the whole trail's reasons say which verdict decided.
    expect(
      `${rollout.phase}: ${trail
        .map(e => `${e.action}: ${e.reason}`)
        .join(' | ')}`,
    ).toMatch(/^Succeeded/);
    const actions = trail.map(e => e.action);
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

  /** Launches `version`, runs it to its end, and returns its audit trail; it must roll back. */
  async function rolledBack(version: string) {
    const id = await launch(backend, version);
    const rollout = await runUntil(backend, id, [
      'RolledBack',
      'Succeeded',
      'Paused',
    ]);
    const trail = await auditOf(backend, id);
    expect(
      `${rollout.phase}: ${trail
        .map(e => `${e.action}: ${e.reason}`)
        .join(' | ')}`,
    ).toMatch(/^RolledBack/);
    return { trail, rollback: trail.find(e => e.action === 'rollback') };
  }

  it('rolls back an erroring canary and says why, with its numbers', async () => {
    const { trail, rollback } = await rolledBack('1.2.0');
    expect(rollback.reason).toMatch(
      /^Error-rate regressed: .*canary error-rate is [\d.]+ % vs [\d.]+ % on baseline .*; [\d.]+ % sure it is at least /,
    );
    const failing = rollback.details.verdicts.find(
      (v: any) => v.verdict === 'fail',
    );
    expect(failing).toMatchObject({ metric: 'error-rate', critical: true });
    // The sentence states the interval the verdict carries, at the same level.
    expect(rollback.reason).toContain(
      `${Number((failing.confidenceLevel * 100).toPrecision(3))} % sure`,
    );
    expect(trail[trail.length - 1]).toMatchObject({
      action: 'rolled-back',
      phaseAfter: 'RolledBack',
      weightsAfter: { stable: 100, canary: 0 },
    });
  });

  it('rolls back a canary that regresses after a good start', async () => {
    const { rollback } = await rolledBack('1.4.0');
    expect(rollback.reason).toMatch(/^Error-rate regressed/);
  });

  it('rolls back a slow canary on its latency, judged through default buckets', async () => {
    const { rollback } = await rolledBack('1.3.0');
    expect(rollback.reason).toMatch(
      /^Latency regressed: canary p\d+ latency is [\d.]+ s vs [\d.]+ s on baseline; [\d.]+ % of canary observations are slower than [\d.]+ s/,
    );
  });
});
