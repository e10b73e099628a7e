import {
  createBackendModule,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type {
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import canaryBackend from '@canary-release/backstage-plugin-canary-backend';
import {
  canaryProvidersExtensionPoint,
  TrafficRouter,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';
import request from 'supertest';
import {
  closedPort,
  FakePrometheus,
  vector,
} from './__testUtils__/fakePrometheus';
import {
  REAL_PROMETHEUS_URL,
  uniqueName,
} from './__testUtils__/realPrometheus';
import { remoteWrite } from './__testUtils__/remoteWrite';
import { canaryModulePrometheus } from './module';

/**
 * The engine with this module reading a real Prometheus, on a compressed clock: stages of one
 * second and a look every 250 ms. A test module registers an in-memory traffic router and
 * workload (kind `memory`); a synthetic service writes, every 100 ms, the request counters the
 * pods of each track would expose, splitting 1000 requests/s by the router's weights and failing
 * the share of requests its version's error rate says. Ticks are triggered by the test.
 */

jest.setTimeout(60_000);

const NAMESPACE = uniqueName('e2e');
const ENTITY_REF = 'component:default/shop';
/** Share of requests each version fails. */
const ERROR_RATES: Record<string, number> = {
  '1.0.0': 0,
  '1.1.0': 0,
  '1.2.0': 0.2,
};
const REQUESTS_PER_WRITE = 100;
const WRITE_INTERVAL_MS = 100;

/** A router and a workload that only remember what they are told. */
class MemoryCluster implements TrafficRouter, WorkloadController {
  weights: Weights = { stable: 100, canary: 0 };
  state: WorkloadState = { stable: { version: '1.0.0', ready: true } };

  async setWeights(_target: RolloutTarget, weights: Weights) {
    this.weights = weights;
  }
  async getWeights() {
    return this.weights;
  }
  async getState() {
    return structuredClone(this.state);
  }
  async deployCanary(_target: RolloutTarget, version: string) {
    this.state.canary = { version, ready: true };
  }
  async removeCanary() {
    delete this.state.canary;
  }
  async setStableVersion(_target: RolloutTarget, version: string) {
    this.state.stable = { version, ready: true };
  }
}

function memoryModule(cluster: MemoryCluster) {
  return createBackendModule({
    pluginId: 'canary',
    moduleId: 'memory-cluster',
    register(reg) {
      reg.registerInit({
        deps: { providers: canaryProvidersExtensionPoint },
        async init({ providers }) {
          providers.addTrafficRouter('memory', cluster);
          providers.addWorkloadController('memory', cluster);
        },
      });
    },
  });
}

/**
 * Writes what the service's pods would expose: `http_requests_total` by track and code and
 * `http_request_duration_seconds_bucket` by track (every request under 50 ms), at the current
 * time, as counters that only grow.
 */
class SyntheticService {
  private readonly counters = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private lastWrite = 0;
  readonly failures: string[] = [];

  constructor(private readonly cluster: MemoryCluster) {}

  start() {
    this.timer = setInterval(() => {
      this.writing ??= this.write().finally(() => {
        this.writing = undefined;
      });
    }, WRITE_INTERVAL_MS);
  }

  async stop() {
    clearInterval(this.timer);
    await this.writing;
  }

  private add(labels: Record<string, string>, amount: number) {
    const key = JSON.stringify(labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + amount);
  }

  private serve(track: string, version: string, requests: number) {
    const errors = requests * ERROR_RATES[version];
    const base = { namespace: NAMESPACE, app: 'shop', track };
    this.add(
      { __name__: 'http_requests_total', ...base, code: '200' },
      requests - errors,
    );
    this.add({ __name__: 'http_requests_total', ...base, code: '500' }, errors);
    for (const le of ['0.05', '0.1', '+Inf']) {
      this.add(
        { __name__: 'http_request_duration_seconds_bucket', ...base, le },
        requests,
      );
    }
  }

  private async write() {
    const { weights, state } = this.cluster;
    const canaryShare = state.canary ? weights.canary / 100 : 0;
    this.serve(
      'stable',
      state.stable.version,
      REQUESTS_PER_WRITE * (1 - canaryShare),
    );
    if (state.canary) {
      this.serve(
        'canary',
        state.canary.version,
        REQUESTS_PER_WRITE * canaryShare,
      );
    }
    const now = Math.max(Date.now(), this.lastWrite + 1);
    this.lastWrite = now;
    try {
      await remoteWrite(
        REAL_PROMETHEUS_URL!,
        [...this.counters].map(([key, value]) => ({
          labels: JSON.parse(key),
          samples: [[now, value]],
        })),
      );
    } catch (error) {
      this.failures.push((error as Error).message);
    }
  }
}

const PRESET = {
  stages: [
    // The judge promotes a stage once it shows the canary no worse (after the minimum); the
    // maximum leaves room for a loaded machine.
    { weight: 10, minDuration: '1s', maxDuration: '15s' },
    { weight: 50, minDuration: '1s', maxDuration: '15s' },
  ],
  analysis: {
    interval: '250ms',
    minRequestsPerLook: 3,
    minRequestsPerStage: 20,
    maxConsecutiveNoData: 3,
    noDataAction: 'pause',
    metrics: [
      { name: 'error-rate', kind: 'proportion', margin: 0.05, critical: true },
      { name: 'latency', kind: 'distribution', critical: true, unit: 's' },
    ],
  },
};

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'shop',
    annotations: {
      'backstage.io/kubernetes-id': 'shop',
      'backstage.io/kubernetes-namespace': NAMESPACE,
      'canary.backstage.io/router': 'memory',
      'canary.backstage.io/workload': 'memory',
      'canary.backstage.io/metrics': 'prometheus',
      'canary.backstage.io/preset': 'fast',
    },
  },
  spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
};

type TestScheduler = {
  factory(): ServiceFactory;
  triggerTask(id: string): Promise<void>;
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function start(
  prometheus: object,
  preset: object = PRESET,
  cluster = new MemoryCluster(),
) {
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const backend = await startTestBackend({
    features: [
      canaryBackend,
      canaryModulePrometheus,
      memoryModule(cluster),
      catalogServiceMock.factory({ entities: [entity] }),
      scheduler.factory(),
      mockServices.rootConfig.factory({
        data: { canary: { presets: { fast: preset }, prometheus } },
      }),
    ],
  });
  return {
    server: backend.server,
    stop: () => backend.stop(),
    cluster,
    tick: () => scheduler.triggerTask('canary-engine-tick'),
  };
}

type Backend = Awaited<ReturnType<typeof start>>;

async function launch(backend: Backend, version: string) {
  const res = await request(backend.server)
    .post('/api/canary/rollouts')
    .send({ entityRef: ENTITY_REF, canaryVersion: version });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Ticks every 100 ms until the rollout reaches one of `phases` (or 40 s pass). */
async function runUntil(backend: Backend, id: string, phases: string[]) {
  const deadline = Date.now() + 40_000;
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

async function auditOf(backend: Backend, id: string): Promise<any[]> {
  const res = await request(backend.server).get(
    `/api/canary/audit?rolloutId=${id}`,
  );
  return res.body.items;
}

const FINAL = ['Succeeded', 'RolledBack', 'Paused', 'Failed', 'Aborted'];

const available = Boolean(REAL_PROMETHEUS_URL);

it('has a real Prometheus (CANARY_TEST_PROMETHEUS_URL; required when CI is set)', () => {
  expect(available || !process.env.CI).toBe(true);
});

(available ? describe : describe.skip)(
  'the engine with the Prometheus provider',
  () => {
    let backend: Backend;
    let service: SyntheticService;
    beforeAll(async () => {
      backend = await start({ baseUrl: REAL_PROMETHEUS_URL, timeout: '2s' });
      service = new SyntheticService(backend.cluster);
      service.start();
    });
    afterAll(() => service.stop());

    it('walks a healthy canary through every stage to Succeeded on real metrics', async () => {
      const id = await launch(backend, '1.1.0');
      const rollout = await runUntil(backend, id, FINAL);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
      expect(backend.cluster.state.stable.version).toBe('1.1.0');
      const actions = (await auditOf(backend, id)).map(e => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(['advance', 'complete', 'promoted']),
      );
      expect(actions).not.toContain('rollback');
      const analysis = (
        await request(backend.server).get(`/api/canary/rollouts/${id}/analysis`)
      ).body;
      const canaryRequests = analysis.series.find(
        (s: any) => s.metric === 'requests' && s.arm === 'canary',
      );
      expect(canaryRequests.points.some((p: any) => p.value > 0)).toBe(true);
    });

    it('rolls back a canary whose pods fail 20 % of requests', async () => {
      const id = await launch(backend, '1.2.0');
      const rollout = await runUntil(backend, id, FINAL);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      expect(backend.cluster.state.stable.version).toBe('1.1.0');
      expect(backend.cluster.weights).toEqual({ stable: 100, canary: 0 });
      const events = await auditOf(backend, id);
      const rollback = events.find(e => e.action === 'rollback');
      expect(rollback.reason).toMatch(/Canary errors are \d+\.\d\d %/);
      expect(rollback.details.look.canary.errors).toBeGreaterThan(0);
      expect(events.map(e => e.action)).not.toContain('promoted');
    });

    it('wrote every sample of the synthetic service', async () => {
      await service.stop();
      expect(service.failures).toEqual([]);
    });
  },
);

describe('the engine when Prometheus fails', () => {
  let fake: FakePrometheus;
  beforeAll(async () => {
    fake = await FakePrometheus.start();
  });
  afterAll(() => fake.close());

  /**
   * Runs a rollout against a Prometheus that never gives a usable answer: it must never promote,
   * and after three looks without data the no-data policy applies.
   */
  async function rolloutWithout(
    prometheus: object,
    noDataAction: 'pause' | 'rollback',
  ) {
    const backend = await start(prometheus, {
      ...PRESET,
      analysis: { ...PRESET.analysis, noDataAction },
    });
    const id = await launch(backend, '1.1.0');
    const rollout = await runUntil(backend, id, FINAL);
    const events = await auditOf(backend, id);
    await backend.stop();
    const actions = events.map(e => e.action);
    expect(actions).not.toContain('advance');
    expect(actions).not.toContain('promoted');
    expect(rollout.stageIndex).toBe(0);
    const policy = events.find(e => e.action === noDataAction);
    expect(policy.reason).toMatch(
      /^No usable metrics for 3 looks in a row \(No metrics for this look: Prometheus /,
    );
    return { rollout, reason: policy.reason as string };
  }

  it('pauses when Prometheus cannot be reached', async () => {
    const { rollout, reason } = await rolloutWithout(
      { baseUrl: `http://127.0.0.1:${await closedPort()}` },
      'pause',
    );
    expect(rollout.phase).toBe('Paused');
    expect(reason).toMatch(
      /Prometheus query canary\.prometheus\.queries\.requests failed: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
  });

  it('pauses when Prometheus answers slower than the timeout', async () => {
    fake.handler = () => ({ delayMs: 3000, ...vector([{ value: '100' }]) });
    const { rollout, reason } = await rolloutWithout(
      { baseUrl: fake.url, timeout: '150ms' },
      'pause',
    );
    expect(rollout.phase).toBe('Paused');
    expect(reason).toContain(
      `Prometheus query canary.prometheus.queries.requests failed: ${fake.url} gave no answer within 150 ms`,
    );
  });

  it('rolls back, when the policy says so, on garbage answers', async () => {
    fake.handler = () => ({ body: '<html><body>Please sign in</body></html>' });
    const { rollout, reason } = await rolloutWithout(
      { baseUrl: fake.url },
      'rollback',
    );
    expect(rollout.phase).toBe('RolledBack');
    expect(reason).toContain(
      'the answer is not JSON: "<html><body>Please sign in</body></html>"',
    );
  });

  it('pauses when Prometheus has no series for the canary, instead of reading zeros', async () => {
    fake.handler = () => vector([]);
    const { rollout, reason } = await rolloutWithout(
      { baseUrl: fake.url },
      'pause',
    );
    expect(rollout.phase).toBe('Paused');
    expect(reason).toContain(
      'Prometheus has no data for canary.prometheus.queries.requests',
    );
  });
});
