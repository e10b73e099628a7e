import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import {
  getMany,
  sleep,
  activeHandles,
  testAgent,
  waitFor,
} from '../__testUtils__/http';
import { createBehaviourResolver } from './behaviours';
import { DemoWorkload, DemoWorkloadOptions } from './DemoWorkload';

describe('DemoWorkload', () => {
  const agent = testAgent();
  let workload: DemoWorkload | undefined;

  afterEach(async () => {
    await workload?.close();
    workload = undefined;
  });
  afterAll(() => agent.destroy());

  async function start(options: Partial<DemoWorkloadOptions> = {}) {
    workload = await DemoWorkload.start({
      namespace: 'default',
      name: 'demo-shop',
      port: 0,
      stableVersion: '1.0.0',
      startupDelayMs: 100,
      requestsPerSecond: 0,
      behaviours: createBehaviourResolver(),
      random: createSeededRandom(3),
      drainMs: 500,
      ...options,
    });
    return workload;
  }

  function port(w: DemoWorkload): number {
    return Number(new URL(w.url).port);
  }

  it('starts with stable 1.0.0 ready, no canary and all traffic on stable', async () => {
    const w = await start();
    expect(w.id).toBe('default/demo-shop');
    expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(w.getState()).toEqual({
      stable: { version: '1.0.0', ready: true },
    });
    expect(w.getWeights()).toEqual({ stable: 100, canary: 0 });
  });

  it('deploys a canary that becomes ready after the startup delay, idempotently', async () => {
    const w = await start();
    await w.deployCanary('1.1.0');
    expect(w.getState().canary).toEqual({ version: '1.1.0', ready: false });
    await waitFor(() => w.getState().canary?.ready === true);
    await w.deployCanary('1.1.0');
    expect(w.getState().canary).toEqual({ version: '1.1.0', ready: true });
    w.setWeights({ stable: 0, canary: 100 });
    const responses = await getMany(port(w), 10, agent);
    expect(responses.map(r => JSON.parse(r.body).version)).toEqual(
      Array(10).fill('1.1.0'),
    );
  });

  it('reconfigures a deployed canary to another version', async () => {
    const w = await start();
    await w.deployCanary('1.1.0');
    await waitFor(() => w.getState().canary?.ready === true);
    await w.deployCanary('1.2.0');
    expect(w.getState().canary).toEqual({ version: '1.2.0', ready: false });
    await waitFor(() => w.getState().canary?.ready === true);
  });

  it('removes the canary and sends everything back to stable, idempotently', async () => {
    const w = await start();
    await w.deployCanary('1.1.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 50, canary: 50 });
    await w.removeCanary();
    await w.removeCanary();
    expect(w.getState()).toEqual({
      stable: { version: '1.0.0', ready: true },
    });
    const responses = await getMany(port(w), 20, agent);
    expect(new Set(responses.map(r => JSON.parse(r.body).version))).toEqual(
      new Set(['1.0.0']),
    );
  });

  it('lets a removed canary finish the requests it has', async () => {
    const w = await start({ startupDelayMs: 0 });
    await w.deployCanary('1.3.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 0, canary: 100 });
    const answers = getMany(port(w), 10, agent);
    // Long enough for the requests to reach the canary on a busy machine; 1.3.0 takes ~280 ms.
    await sleep(200);
    await w.removeCanary();
    const responses = await answers;
    expect(responses.map(r => r.headers['x-canary-arm'])).toEqual(
      Array(10).fill('canary'),
    );
    expect(responses.every(r => r.status !== 502)).toBe(true);
  });

  it('rolls stable to a new version, ready after the startup delay', async () => {
    const w = await start();
    w.setStableVersion('1.1.0');
    w.setStableVersion('1.1.0');
    expect(w.getState().stable).toEqual({ version: '1.1.0', ready: false });
    await waitFor(() => w.getState().stable.ready);
    const [res] = await getMany(port(w), 1, agent);
    expect(JSON.parse(res.body).version).toBe('1.1.0');
  });

  it('counts the traffic of each arm at the router, over the window asked for', async () => {
    const w = await start({ requestsPerSecond: 300, startupDelayMs: 0 });
    await w.deployCanary('1.2.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 50, canary: 50 });
    const start1 = new Date(Math.ceil(Date.now() / 100) * 100 + 100);
    await sleep(1200);
    const end1 = new Date(start1.getTime() + 1000);
    const mid = new Date(start1.getTime() + 400);
    const baseline = w.sample('baseline', { start: start1, end: end1 });
    const canary = w.sample('canary', { start: start1, end: end1 });
    // About 150 requests per arm in that second.
    for (const arm of [baseline, canary]) {
      expect(arm.requests).toBeGreaterThan(60);
      expect(arm.requests).toBeLessThan(250);
      expect(arm.latency!.counts.reduce((a, b) => a + b, 0)).toBe(arm.requests);
    }
    const first = w.sample('canary', { start: start1, end: mid });
    const second = w.sample('canary', { start: mid, end: end1 });
    expect(first.requests + second.requests).toBe(canary.requests);
    expect(first.errors + second.errors).toBe(canary.errors);
    expect(w.load!.sent).toBeGreaterThan(200);
  });

  it('shows the canary 1.2.0 failing more often than stable 1.0.0', async () => {
    const w = await start({ startupDelayMs: 0 });
    await w.deployCanary('1.2.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 50, canary: 50 });
    const from = new Date(Date.now() - 1000);
    await getMany(port(w), 1000, agent);
    const to = new Date(Date.now() + 1000);
    const baseline = w.sample('baseline', { start: from, end: to });
    const canary = w.sample('canary', { start: from, end: to });
    expect(baseline.requests + canary.requests).toBe(1000);
    // Expected about 2.5 and 27.5.
    expect(canary.errors).toBeGreaterThan(baseline.errors + 8);
  });

  it('serves the background error rate and a varying latency on both arms, in default Prometheus buckets', async () => {
    // Production-like: healthy versions fail 1 % of requests.
    const w = await start({
      startupDelayMs: 0,
      behaviours: createBehaviourResolver({
        '1.0.0': { errorRate: 0.01 },
        '1.1.0': { errorRate: 0.01 },
      }),
    });
    const from = new Date(Date.now() - 1000);
    // Stable alone, then the canary alone (x-canary: always): the router draws no random number
    // for either, and each arm's server draws the same three per request, so the seed fixes which
    // requests fail however the requests interleave.
    const stable = await getMany(port(w), 3000, agent);
    await w.deployCanary('1.1.0');
    await waitFor(() => w.getState().canary?.ready === true);
    const canary = await getMany(port(w), 3000, agent, {
      'x-canary': 'always',
    });
    const to = new Date(Date.now() + 1000);
    expect(stable.every(r => r.headers['x-canary-arm'] === 'baseline')).toBe(
      true,
    );
    expect(canary.every(r => r.headers['x-canary-arm'] === 'canary')).toBe(
      true,
    );
    for (const arm of ['baseline', 'canary'] as const) {
      const sample = w.sample(arm, { start: from, end: to });
      expect(sample.requests).toBe(3000);
      // About 30 errors (standard deviation 5.4); 0 or 60 at a rate of 0 or 2 %.
      expect(sample.errors).toBeGreaterThanOrEqual(15);
      expect(sample.errors).toBeLessThanOrEqual(45);
      const { bounds, counts } = sample.latency!;
      expect(bounds).toEqual([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
      ]);
      // The base latency varies around 30 ms: 10-25, 25-50 and 50-100 ms all occur (about 34 %,
      // 53 % and 12 % of the requests).
      for (const i of [2, 3, 4]) {
        expect(counts[i]).toBeGreaterThan(30);
      }
    }
  }, 60_000); // 6000 requests over loopback: room for a loaded machine.

  it('lets a version regress once it has served for its regressAfterMs, on the clock given', async () => {
    const T0 = Date.parse('2025-01-01T00:00:00Z');
    let clock = T0;
    const w = await start({
      startupDelayMs: 0,
      now: () => clock,
      behaviours: createBehaviourResolver({
        '2.0.0': { errorRate: 1, regressAfterMs: 60_000 },
      }),
    });
    await w.deployCanary('2.0.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 0, canary: 100 });

    // Ready at T0: healthy until T0 + 60 s.
    clock = T0 + 59_999;
    const healthy = await getMany(port(w), 200, agent);
    clock = T0 + 60_000;
    const regressed = await getMany(port(w), 200, agent);

    const errors = (rs: { status: number }[]) =>
      rs.filter(r => r.status === 500).length;
    // About 2 errors at the healthy 1 %; every request fails after.
    expect(errors(healthy)).toBeLessThan(10);
    expect(errors(regressed)).toBe(200);
    const before = w.sample('canary', {
      start: new Date(T0),
      end: new Date(T0 + 60_000),
    });
    const after = w.sample('canary', {
      start: new Date(T0 + 60_000),
      end: new Date(T0 + 60_100),
    });
    expect(before).toMatchObject({ requests: 200, errors: errors(healthy) });
    expect(after).toMatchObject({ requests: 200, errors: 200 });
  });

  it('shows the canary 1.3.0 slower than stable in the latency histogram', async () => {
    const w = await start({ startupDelayMs: 0 });
    await w.deployCanary('1.3.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 50, canary: 50 });
    const from = new Date(Date.now() - 1000);
    await getMany(port(w), 200, agent);
    const to = new Date(Date.now() + 1000);
    const share = (arm: 'baseline' | 'canary') => {
      const { latency } = w.sample(arm, { start: from, end: to });
      const fast = latency!.bounds.reduce(
        (sum, bound, i) => (bound > 0.1 ? sum : sum + latency!.counts[i]),
        0,
      );
      const total = latency!.counts.reduce((a, b) => a + b, 0);
      return 1 - fast / total;
    };
    // Share of requests slower than 100 ms (a default Prometheus bound): about 0.4 % and 100 %,
    // plus whatever a busy machine adds.
    expect(share('baseline')).toBeLessThan(0.3);
    expect(share('canary')).toBeGreaterThan(0.9);
  });

  it('fails to start on a port in use, leaving nothing open', async () => {
    const first = await start();
    await sleep(20);
    const before = activeHandles();
    await expect(
      DemoWorkload.start({
        namespace: 'default',
        name: 'other',
        port: port(first),
        stableVersion: '1.0.0',
        startupDelayMs: 0,
        requestsPerSecond: 10,
        behaviours: createBehaviourResolver(),
      }),
    ).rejects.toThrow(
      /Could not start the canary demo workload default\/other on 127\.0\.0\.1: .*EADDRINUSE/,
    );
    await sleep(20);
    expect(activeHandles().servers).toBe(before.servers);
  });

  it('cuts short the drain of a removed canary at shutdown', async () => {
    const w = await start({ startupDelayMs: 0, drainMs: 10_000 });
    await w.deployCanary('1.3.0');
    await waitFor(() => w.getState().canary?.ready === true);
    w.setWeights({ stable: 0, canary: 100 });
    const answers = getMany(port(w), 10, agent).catch(() => []);
    await sleep(50);
    const removed = w.removeCanary();
    const started = Date.now();
    await w.close();
    await removed;
    expect(Date.now() - started).toBeLessThan(1000);
    await answers;
  });

  it('closes the router, every server, the load generator and the timers on close', async () => {
    // Handles of servers closed by earlier tests go away on a later turn of the event loop.
    await sleep(20);
    const before = activeHandles();
    // A long startup delay leaves readiness timers pending at close.
    const w = await start({ requestsPerSecond: 200, startupDelayMs: 60_000 });
    await w.deployCanary('1.1.0');
    w.setStableVersion('1.1.0');
    await sleep(150);
    const routerPort = port(w);
    const { sent } = w.load!;
    expect(sent).toBeGreaterThan(0);
    expect(activeHandles().servers).toBe(before.servers + 3);
    await w.close();
    await w.close();
    await sleep(20);
    const after = activeHandles();
    expect(after.servers).toBe(before.servers);
    expect(after.sockets).toBe(before.sockets);
    // Jest may drop a timer of its own meanwhile; ours (readiness, load) must all be gone.
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    await expect(getMany(routerPort, 1, agent)).rejects.toThrow(/ECONNREFUSED/);
    expect(w.load!.sent).toBe(sent);
    await expect(w.deployCanary('1.2.0')).rejects.toThrow(/shut down/);
    workload = undefined;
  });
});
