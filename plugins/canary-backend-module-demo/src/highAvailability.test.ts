import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { readDemoConfig } from './config';
import { DemoEnvironment } from './DemoEnvironment';
import { BackendProcess, keepOrRemove, sleep } from './harness/BackendProcess';
import {
  LONG_TESTS,
  describeIf,
  backendConfig,
  compressedStrategy,
  postgresDatabase,
  postgresRequired,
} from './harness/backendConfig';
import { CanaryApi } from './harness/CanaryApi';
import { demoPlan } from './harness/demoPlan';
import { RolloutDriver } from './harness/RolloutDriver';
import { verifyOutcome } from './harness/verifyOutcome';
import { DemoWorldServer } from './world/DemoWorldServer';

/**
 * High availability: two backend processes on one real PostgreSQL, both running the engine's tick
 * task (global scope: the scheduler lets one replica at a time run it, through the database). They
 * act on one shared demo world, served by this test process (DemoWorldServer) and reached over
 * loopback with `canary.demo.remote`, so the world survives either backend.
 *
 * (a) Both up: rollouts progress and both replicas run ticks, yet no look is taken twice and no
 * transition applied twice. (b) Each replica in turn is killed with SIGKILL in the middle of a tick,
 * holding the tick's lock: the other takes over once the lock's timeout (`canary.engine.tickTimeout`,
 * 2 s here) has passed and its scheduler janitor, which runs once a minute, has freed the lock.
 *
 * It takes minutes, so it runs only with CANARY_LONG_TESTS=1 (CI's long tier, or `yarn test:long`
 * in this package); otherwise it is skipped. Without PostgreSQL it is skipped too, except in CI.
 */

const INTERVAL_MS = 500;
const TICK_TIMEOUT_MS = 2000;
/** backend-defaults' scheduler janitor frees expired task locks once a minute (not configurable). */
const JANITOR_PERIOD_MS = 60_000;

jest.setTimeout(8 * 60_000);

describeIf(LONG_TESTS && postgresRequired())(
  'two backends on one PostgreSQL',
  () => {
    let dir: string;
    let world: DemoEnvironment | undefined;
    let worldServer: DemoWorldServer | undefined;
    const backends: BackendProcess[] = [];
    let passed = false;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'canary-ha-'));
    });

    afterAll(async () => {
      await Promise.all(backends.map(b => b.kill()));
      await worldServer?.close();
      await world?.close();
      keepOrRemove(dir, passed);
    });

    it('share the engine, never both run one tick, and each takes over when the other dies mid-tick', async () => {
      const plan = demoPlan({ targets: 4, rollouts: 16, seed: 7 });
      world = await DemoEnvironment.start(
        readDemoConfig(
          new ConfigReader({
            canary: {
              demo: {
                ...plan.demo,
                requestsPerSecond: 80,
                startupDelayMs: 200,
              },
            },
          }),
        )!,
      );
      worldServer = await DemoWorldServer.start(world);
      const worldUrl = worldServer.url;
      const database = postgresDatabase('canary_ha');
      for (const name of ['a', 'b']) {
        backends.push(
          await BackendProcess.create(dir, name, port =>
            backendConfig({
              port,
              database,
              tickTimeout: `${TICK_TIMEOUT_MS}ms`,
              canary: {
                presets: { demo: compressedStrategy(INTERVAL_MS) },
                // The workloads name the entities of the dev backend's catalog.
                demo: {
                  remote: worldUrl,
                  workloads: plan.demo.workloads,
                },
              },
            }),
          ),
        );
      }
      const [a, b] = backends;
      await a.start();
      await b.start();
      const apiOf = (backend: BackendProcess) => new CanaryApi(backend.api);
      for (const backend of backends) {
        expect((await apiOf(backend).tickTask()).settings).toEqual(
          expect.objectContaining({ timeoutAfterDuration: 'PT2S' }),
        );
      }

      const driver = new RolloutDriver(
        () => apiOf(a.running ? a : b),
        plan.plan,
      );
      const driving = driver.run({ timeoutMs: 6 * 60_000 });
      driving.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

      // (a) Both up for a while: count the ticks each is seen running.
      const seenRunning = new Map<BackendProcess, number>([
        [a, 0],
        [b, 0],
      ]);
      const watchUntil = Date.now() + 15_000;
      while (Date.now() < watchUntil) {
        for (const backend of backends) {
          const task = await apiOf(backend).tickTask();
          if (task.workerState?.status === 'running') {
            seenRunning.set(backend, seenRunning.get(backend)! + 1);
          }
        }
        await sleep(20);
      }
      expect(driver.view.rollouts.length).toBeGreaterThan(0);
      expect(seenRunning.get(a)).toBeGreaterThan(0);
      expect(seenRunning.get(b)).toBeGreaterThan(0);

      // (b) Kill each in turn mid-tick; the other must take over.
      const takeovers: number[] = [];
      for (const [victim, survivor] of [
        [a, b],
        [b, a],
      ]) {
        expect(driver.view.active).toBeGreaterThan(0);
        const killedAt = await killMidTick(victim, apiOf(survivor));
        const resumedAt = await firstProgressAfter(apiOf(survivor), killedAt);
        takeovers.push(resumedAt - killedAt);
        expect(resumedAt - killedAt).toBeLessThanOrEqual(
          TICK_TIMEOUT_MS + JANITOR_PERIOD_MS + INTERVAL_MS + 5000,
        );
        await victim.start();
      }

      await driving;
      const outcome = await verifyOutcome({
        api: apiOf(a),
        plan,
        intervalMs: INTERVAL_MS,
        worldApi: worldUrl,
      });
      const { problems, ...figures } = outcome;
      // eslint-disable-next-line no-console
      console.log(
        JSON.stringify({
          ...figures,
          ticksSeenRunning: [...seenRunning.values()],
          takeoverMs: takeovers,
        }),
      );
      expect(problems).toEqual([]);
      // The world never restarted here: every workload's stable version is checked.
      expect(outcome.versionsChecked).toBe(4);
      passed = true;
    });
  },
);

/**
 * Kills `victim` with SIGKILL while it runs a tick, and confirms through `survivor` that it died
 * holding the tick's lock (the database still says running, the survivor's own worker is idle).
 * Tries again (after restarting the victim) when the tick ended before the signal landed: a tick
 * lasts tens of milliseconds, and on a busy machine the poll that sees it running can come late.
 */
async function killMidTick(
  victim: BackendProcess,
  survivor: CanaryApi,
): Promise<number> {
  const victimApi = new CanaryApi(victim.api);
  for (let attempt = 1; attempt <= 20; attempt++) {
    const deadline = Date.now() + 60_000;
    while ((await victimApi.tickTask()).workerState?.status !== 'running') {
      if (Date.now() > deadline) throw new Error('The victim runs no tick');
      await sleep(5);
    }
    await victim.kill();
    const killedAt = Date.now();
    const seen = await survivor.tickTask();
    if (
      seen.taskState?.status === 'running' &&
      seen.workerState?.status !== 'running'
    ) {
      return killedAt;
    }
    await victim.start();
  }
  throw new Error('Could not kill the backend while it held the tick lock');
}

/**
 * When the store first shows a rollout changed by a tick after `since` (ms): its `updatedAt` is the
 * tick's clock. Pending rollouts are left out: only a launch (not a tick) changed them.
 */
async function firstProgressAfter(
  api: CanaryApi,
  since: number,
): Promise<number> {
  const deadline = since + 3 * JANITOR_PERIOD_MS;
  while (Date.now() < deadline) {
    const updated = (await api.rollouts())
      .filter(r => r.phase !== 'Pending')
      .map(r => Date.parse(r.updatedAt))
      .filter(t => t > since);
    if (updated.length) return Math.min(...updated);
    await sleep(200);
  }
  throw new Error('No rollout progressed after the kill');
}
