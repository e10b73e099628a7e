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
    await sleep(50);
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
      const slow = latency!.bounds.reduce(
        (sum, bound, i) => (bound >= 0.15 ? sum : sum + latency!.counts[i]),
        0,
      );
      const total = latency!.counts.reduce((a, b) => a + b, 0);
      return 1 - slow / total;
    };
    // Share of requests slower than 150 ms: about 0.3 % and 99 %, plus whatever a busy machine adds.
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
