import request from 'supertest';
import {
  auditOf,
  Engine,
  FINAL,
  launch,
  PRESET,
  runUntil,
  startEngine,
  SyntheticService,
} from './__testUtils__/engine';
import {
  closedPort,
  FakePrometheus,
  vector,
} from './__testUtils__/fakePrometheus';
import {
  REAL_PROMETHEUS_URL,
  uniqueName,
} from './__testUtils__/realPrometheus';

/**
 * The engine with this module reading a real Prometheus, on a compressed clock: stages of one
 * second and a look every 250 ms, with the in-memory router and workload and the synthetic
 * service of `__testUtils__/engine`. Ticks are triggered by the test.
 */

jest.setTimeout(60_000);

const NAMESPACE = uniqueName('e2e');

const available = Boolean(REAL_PROMETHEUS_URL);

it('has a real Prometheus (CANARY_TEST_PROMETHEUS_URL; required when CI is set)', () => {
  expect(available || !process.env.CI).toBe(true);
});

(available ? describe : describe.skip)(
  'the engine with the Prometheus provider',
  () => {
    let backend: Engine;
    let service: SyntheticService;
    beforeAll(async () => {
      backend = await startEngine(NAMESPACE, {
        baseUrl: REAL_PROMETHEUS_URL,
        timeout: '2s',
      });
      service = new SyntheticService(backend.cluster, NAMESPACE);
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
      expect(rollback.reason).toMatch(
        /^Error-rate regressed: canary error-rate is [\d.]+ % vs [\d.]+ % on baseline .*; [\d.]+ % sure /,
      );
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
    const backend = await startEngine(NAMESPACE, prometheus, {
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
      /^No usable metrics for 3 looks in a row \(limit 3; no metrics: the metrics provider \(prometheus\) failed\)/,
    );
    // Prometheus' own error (addresses, queries) is in the fault, for those who may control it.
    const fault = events.find(e => e.action === 'provider-fault');
    return { rollout, reason: fault.details.error as string };
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
