import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '@backstage/errors';
import type { Arm } from '@canary-release/backstage-plugin-canary-common';
import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import { DemoDeployment } from '../workload/DemoDeployment';
import { closedPort, getMany, testAgent } from '../__testUtils__/http';
import { listenOnLoopback } from '../loopback';
import { serverTiming } from '../serverTiming';
import { WeightedRouter } from './WeightedRouter';

describe('WeightedRouter', () => {
  const agent = testAgent(100);
  const closers: Array<() => Promise<void>> = [];
  let observed: Array<{ arm: Arm; error: boolean; latencySeconds: number }>;

  beforeEach(() => {
    observed = [];
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map(close => close()));
  });
  afterAll(() => agent.destroy());

  async function deployment(version: string, errorRate = 0) {
    const d = new DemoDeployment({
      name: `test-${version}`,
      version,
      readyAtStart: true,
      startupDelayMs: 0,
      behaviours: () => ({ errorRate, latencyMs: 0 }),
      random: createSeededRandom(11),
    });
    closers.push(() => d.close(0));
    await d.start();
    return d;
  }

  async function router(stable: DemoDeployment) {
    const r = new WeightedRouter({
      stable,
      random: createSeededRandom(42),
      observe: (arm, error, latencySeconds) =>
        observed.push({ arm, error, latencySeconds }),
    });
    closers.push(() => r.close());
    await r.listen();
    return r;
  }

  const versions = (rs: { body: string }[]) =>
    rs.map(r => JSON.parse(r.body).version as string);

  it('splits traffic by weight', async () => {
    const r = await router(await deployment('1.0.0'));
    r.canary = await deployment('1.1.0');
    r.setWeights({ stable: 75, canary: 25 });
    const responses = await getMany(r.port, 1000, agent);
    const canary = versions(responses).filter(v => v === '1.1.0').length;
    // Binomial(1000, 0.25): mean 250, standard deviation 13.7.
    expect(canary).toBeGreaterThan(200);
    expect(canary).toBeLessThan(300);
    expect(
      responses.filter(res => res.headers['x-canary-arm'] === 'canary').length,
    ).toBe(canary);
    expect(observed.filter(o => o.arm === 'canary')).toHaveLength(canary);
    expect(observed.filter(o => o.arm === 'baseline')).toHaveLength(
      1000 - canary,
    );
  });

  it('sends everything to stable at 100/0 and to the canary at 0/100', async () => {
    const r = await router(await deployment('1.0.0'));
    r.canary = await deployment('1.1.0');
    expect(new Set(versions(await getMany(r.port, 50, agent)))).toEqual(
      new Set(['1.0.0']),
    );
    r.setWeights({ stable: 0, canary: 100 });
    expect(new Set(versions(await getMany(r.port, 50, agent)))).toEqual(
      new Set(['1.1.0']),
    );
  });

  it('sends requests with x-canary: always to the canary', async () => {
    const r = await router(await deployment('1.0.0'));
    r.canary = await deployment('1.1.0');
    const responses = await getMany(r.port, 20, agent, {
      'x-canary': 'always',
    });
    expect(new Set(versions(responses))).toEqual(new Set(['1.1.0']));
  });

  it('sends everything to stable without a serving canary, whatever the weights', async () => {
    const r = await router(await deployment('1.0.0'));
    r.setWeights({ stable: 0, canary: 100 });
    expect(new Set(versions(await getMany(r.port, 20, agent)))).toEqual(
      new Set(['1.0.0']),
    );
    const starting = new DemoDeployment({
      name: 'starting',
      version: '1.1.0',
      readyAtStart: false,
      startupDelayMs: 60_000,
      behaviours: () => ({ errorRate: 0, latencyMs: 0 }),
      random: createSeededRandom(1),
    });
    closers.push(() => starting.close(0));
    await starting.start();
    r.canary = starting;
    expect(new Set(versions(await getMany(r.port, 20, agent)))).toEqual(
      new Set(['1.0.0']),
    );
    expect(observed.every(o => o.arm === 'baseline')).toBe(true);
  });

  it('counts 5xx answers as errors of the arm that gave them', async () => {
    const r = await router(await deployment('1.0.0'));
    r.canary = await deployment('1.2.0', 1);
    r.setWeights({ stable: 50, canary: 50 });
    const responses = await getMany(r.port, 100, agent);
    const failed = responses.filter(res => res.status === 500).length;
    expect(failed).toBeGreaterThan(0);
    expect(observed.filter(o => o.error)).toHaveLength(failed);
    expect(observed.filter(o => o.error).every(o => o.arm === 'canary')).toBe(
      true,
    );
    expect(observed.every(o => o.latencySeconds > 0)).toBe(true);
  });

  it('records the handling time the upstream reports, not the time the router waited', async () => {
    const r = await router(await deployment('1.0.0'));
    // An upstream that answers after 150 ms but reports 5 ms of handling, as a service on a
    // pod of its own would when the process hosting the demo is busy.
    const slowHost = http.createServer((_req, res) =>
      setTimeout(() => {
        res.writeHead(200, { 'server-timing': serverTiming(5) });
        res.end('{}');
      }, 150),
    );
    await listenOnLoopback(slowHost, 0);
    closers.push(() => new Promise(resolve => slowHost.close(() => resolve())));
    const upstreamAgent = new http.Agent({ keepAlive: true });
    closers.push(async () => upstreamAgent.destroy());
    r.canary = {
      port: (slowHost.address() as AddressInfo).port,
      agent: upstreamAgent,
      serving: true,
    };
    r.setWeights({ stable: 0, canary: 100 });
    await getMany(r.port, 3, agent);
    expect(observed).toEqual([
      { arm: 'canary', error: false, latencySeconds: 0.005 },
      { arm: 'canary', error: false, latencySeconds: 0.005 },
      { arm: 'canary', error: false, latencySeconds: 0.005 },
    ]);
  });

  it('records the time it waited for an upstream that reports no handling time', async () => {
    const r = await router(await deployment('1.0.0'));
    const silent = http.createServer((_req, res) =>
      setTimeout(() => res.end('{}'), 100),
    );
    await listenOnLoopback(silent, 0);
    closers.push(() => new Promise(resolve => silent.close(() => resolve())));
    const upstreamAgent = new http.Agent({ keepAlive: true });
    closers.push(async () => upstreamAgent.destroy());
    r.canary = {
      port: (silent.address() as AddressInfo).port,
      agent: upstreamAgent,
      serving: true,
    };
    r.setWeights({ stable: 0, canary: 100 });
    await getMany(r.port, 1, agent);
    expect(observed).toHaveLength(1);
    expect(observed[0].latencySeconds).toBeGreaterThanOrEqual(0.095);
  });

  it('answers 502 and counts an error when the upstream does not answer', async () => {
    const stable = await deployment('1.0.0');
    const r = await router(stable);
    r.canary = { port: await closedPort(), agent: stable.agent, serving: true };
    r.setWeights({ stable: 0, canary: 100 });
    const [res] = await getMany(r.port, 1, agent);
    expect(res.status).toBe(502);
    expect(observed).toEqual([
      { arm: 'canary', error: true, latencySeconds: expect.any(Number) },
    ]);
  });

  it.each([
    [{ stable: 60, canary: 50 }],
    [{ stable: 101, canary: -1 }],
    [{ stable: NaN, canary: 100 }],
    [{ stable: Infinity, canary: -Infinity }],
    [{ stable: '50', canary: 50 }],
    [{ stable: 100 }],
    [undefined],
  ])('rejects invalid weights %j', async weights => {
    const r = await router(await deployment('1.0.0'));
    r.setWeights({ stable: 90, canary: 10 });
    expect(() => r.setWeights(weights as any)).toThrow(InputError);
    expect(r.getWeights()).toEqual({ stable: 90, canary: 10 });
  });

  it('accepts fractional weights that add up to 100', async () => {
    const r = await router(await deployment('1.0.0'));
    r.setWeights({ stable: 97.5, canary: 2.5 });
    expect(r.getWeights()).toEqual({ stable: 97.5, canary: 2.5 });
  });
});
