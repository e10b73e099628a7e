import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import { getMany, sleep, testAgent, waitFor } from '../__testUtils__/http';
import { BehaviourResolver, createBehaviourResolver } from './behaviours';
import { DemoDeployment } from './DemoDeployment';

describe('DemoDeployment', () => {
  const agent = testAgent(100);
  const deployments: DemoDeployment[] = [];

  afterEach(async () => {
    await Promise.all(deployments.splice(0).map(d => d.close(0)));
  });
  afterAll(() => agent.destroy());

  async function start(
    version: string,
    options: {
      readyAtStart?: boolean;
      startupDelayMs?: number;
      behaviours?: BehaviourResolver;
      now?: () => number;
    } = {},
  ) {
    const deployment = new DemoDeployment({
      name: 'shop-test',
      version,
      readyAtStart: options.readyAtStart ?? true,
      startupDelayMs: options.startupDelayMs ?? 0,
      behaviours: options.behaviours ?? createBehaviourResolver(),
      random: createSeededRandom(version.length * 1000 + version.charCodeAt(2)),
      now: options.now,
    });
    deployments.push(deployment);
    await deployment.start();
    return deployment;
  }

  it('listens on 127.0.0.1 only', async () => {
    const deployment = await start('1.0.0');
    expect(deployment.port).toBeGreaterThan(0);
    // The server address is the loopback address, not a wildcard.
    expect((deployment as any).server.address().address).toBe('127.0.0.1');
  });

  it('answers as the version it runs', async () => {
    const deployment = await start('1.1.0');
    const [res] = await getMany(deployment.port!, 1, agent);
    expect([200, 500]).toContain(res.status);
    expect(JSON.parse(res.body)).toMatchObject({ version: '1.1.0' });
  });

  it('fails more often as 1.2.0 than as 1.0.0', async () => {
    const healthy = await start('1.0.0');
    const faulty = await start('1.2.0');
    const [h, f] = await Promise.all([
      getMany(healthy.port!, 500, agent),
      getMany(faulty.port!, 500, agent),
    ]);
    const errors = (rs: { status: number }[]) =>
      rs.filter(r => r.status === 500).length;
    // Expected about 2.5 and 27.5 errors.
    expect(errors(h)).toBeLessThanOrEqual(8);
    expect(errors(f)).toBeGreaterThanOrEqual(12);
    expect(errors(f)).toBeGreaterThan(errors(h) + 6);
  });

  it('answers about 250 ms slower as 1.3.0 than as 1.0.0', async () => {
    const fast = await start('1.0.0');
    const slow = await start('1.3.0');
    const [f, s] = await Promise.all([
      getMany(fast.port!, 100, agent),
      getMany(slow.port!, 100, agent),
    ]);
    const median = (rs: { ms: number }[]) =>
      rs.map(r => r.ms).sort((a, b) => a - b)[rs.length / 2];
    // Medians about 30 ms and 275 ms; a busy machine adds the same delay to both.
    expect(median(f)).toBeGreaterThan(20);
    expect(median(s) - median(f)).toBeGreaterThan(150);
    expect(median(s) - median(f)).toBeLessThan(400);
  });

  it('is not ready and answers 503 until its startup delay has passed', async () => {
    const deployment = await start('1.1.0', {
      readyAtStart: false,
      startupDelayMs: 150,
    });
    expect(deployment.ready).toBe(false);
    expect(deployment.serving).toBe(false);
    const [early] = await getMany(deployment.port!, 1, agent);
    expect(early.status).toBe(503);
    await waitFor(() => deployment.ready);
    expect(deployment.serving).toBe(true);
  });

  it('keeps serving the previous version until the new one is ready', async () => {
    const deployment = await start('1.0.0', { startupDelayMs: 150 });
    deployment.rollTo('1.1.0');
    expect(deployment.version).toBe('1.1.0');
    expect(deployment.ready).toBe(false);
    expect(deployment.serving).toBe(true);
    const [before] = await getMany(deployment.port!, 1, agent);
    expect(JSON.parse(before.body).version).toBe('1.0.0');
    await waitFor(() => deployment.ready);
    const [after] = await getMany(deployment.port!, 1, agent);
    expect(JSON.parse(after.body).version).toBe('1.1.0');
  });

  it('counts regressAfterMs from when the version became ready, not from when it was rolled out', async () => {
    const T0 = Date.parse('2025-01-01T00:00:00Z');
    let clock = T0;
    const deployment = await start('1.0.0', {
      startupDelayMs: 150,
      now: () => clock,
      behaviours: createBehaviourResolver({
        '2.0.0': { errorRate: 1, regressAfterMs: 60_000 },
      }),
    });
    deployment.rollTo('2.0.0');
    // Ten seconds pass on the injected clock before the new version is ready.
    clock = T0 + 10_000;
    await waitFor(() => deployment.ready);
    const failures = async () =>
      (await getMany(deployment.port!, 100, agent)).filter(
        r => r.status === 500,
      ).length;
    clock = T0 + 69_999;
    // About 1 error at the healthy 1 %.
    expect(await failures()).toBeLessThan(10);
    clock = T0 + 70_000;
    expect(await failures()).toBe(100);
  });

  it('does not restart a rollout to the version it already runs', async () => {
    const deployment = await start('1.0.0', { startupDelayMs: 150 });
    deployment.rollTo('1.0.0');
    expect(deployment.ready).toBe(true);
  });

  it('lets requests in flight finish when closed with a grace period', async () => {
    const deployment = await start('1.3.0');
    const answers = getMany(deployment.port!, 5, agent);
    await sleep(50);
    await deployment.close(2000);
    const statuses = (await answers).map(r => r.status);
    expect(statuses.every(s => s === 200 || s === 500)).toBe(true);
    expect(deployment.port).toBeUndefined();
    expect(deployment.serving).toBe(false);
  });
});
