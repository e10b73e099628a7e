import { mkdtempSync, readFileSync } from 'node:fs';
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
import { TickClaims } from './__testUtils__/TickClaims';
import { demoPlan } from './harness/demoPlan';
import { RolloutDriver } from './harness/RolloutDriver';
import { verifyOutcome } from './harness/verifyOutcome';
import { DemoWorldServer } from './world/DemoWorldServer';

/**
 * High availability: two backend processes on one real PostgreSQL, both running the engine's tick
 * passes, each over the rollouts it claims in the database; a claim lasts at most
 * `canary.engine.tickTimeout` (2 s here). They act on one shared demo world, served by this test
 * process (DemoWorldServer) and reached over loopback with `canary.demo.remote`, so the world
 * survives either backend.
 *
 * (a) Both up: rollouts progress and both replicas run passes, yet no look is taken twice and no
 * transition applied twice. (b) Each replica in turn is killed with SIGKILL in the middle of a pass,
 * holding claims: the other takes those rollouts over at its first pass after the claims ran out,
 * within the tick timeout plus one analysis interval (and the test's own polling).
 *
 * It takes minutes, so it runs only with CANARY_LONG_TESTS=1 (CI's long tier, or `yarn test:long`
 * in this package); otherwise it is skipped. Without PostgreSQL it is skipped too, except in CI.
 */

const INTERVAL_MS = 500;
const TICK_TIMEOUT_MS = 2000;
/** What the test's polling and a loaded machine add to a takeover. */
const MEASUREMENT_SLACK_MS = 3000;
const TAKEOVER_BOUND_MS = TICK_TIMEOUT_MS + INTERVAL_MS + MEASUREMENT_SLACK_MS;

jest.setTimeout(8 * 60_000);

describeIf(LONG_TESTS && postgresRequired())(
  'two backends on one PostgreSQL',
  () => {
    let dir: string;
    let world: DemoEnvironment | undefined;
    let worldServer: DemoWorldServer | undefined;
    const backends: BackendProcess[] = [];
    let claims: TickClaims | undefined;
    let passed = false;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'canary-ha-'));
    });

    afterAll(async () => {
      await Promise.all(backends.map(b => b.kill()));
      await claims?.close();
      await worldServer?.close();
      await world?.close();
      keepOrRemove(dir, passed);
    });

    it('share the engine, never tick one rollout both, and each takes over when the other dies mid-pass', async () => {
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
      claims = new TickClaims(database);
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

      // (b) Kill each in turn mid-pass; the other must take its rollouts over.
      const takeovers: number[] = [];
      for (const [victim, survivor] of [
        [a, b],
        [b, a],
      ]) {
        expect(driver.view.active).toBeGreaterThan(0);
        const takeoverMs = await killMidPass(victim, survivor, claims);
        takeovers.push(takeoverMs);
        expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
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
 * Kills `victim` with SIGKILL while its pass holds claims, and returns how long after the kill
 * `survivor` took those rollouts over (the survivor logs each takeover). A pass that claimed
 * nothing (the survivor's pass had them all) does not count: the victim is restarted and killed
 * again.
 */
async function killMidPass(
  victim: BackendProcess,
  survivor: BackendProcess,
  claims: TickClaims,
): Promise<number> {
  const victimApi = new CanaryApi(victim.api);
  const survivorApi = new CanaryApi(survivor.api);
  for (let attempt = 1; attempt <= 10; attempt++) {
    const deadline = Date.now() + 60_000;
    while ((await victimApi.tickTask()).workerState?.status !== 'running') {
      if (Date.now() > deadline) throw new Error('The victim runs no pass');
      await sleep(5);
    }
    const logBefore = readFileSync(survivor.logFile, 'utf8').length;
    await victim.kill();
    const killedAt = Date.now();
    if (await diedHoldingClaims(survivorApi, claims, killedAt)) {
      while (Date.now() < killedAt + TAKEOVER_BOUND_MS + 10_000) {
        const news = readFileSync(survivor.logFile, 'utf8').slice(logBefore);
        if (/Took over the ticks of \d+ rollouts/.test(news)) {
          return Date.now() - killedAt;
        }
        await sleep(50);
      }
      throw new Error(
        "The survivor did not take the dead pass's rollouts over",
      );
    }
    await victim.start();
  }
  throw new Error('Could not kill a backend while its pass held claims');
}

/** Whether claims made before the kill are still held once the survivor is idle between passes. */
async function diedHoldingClaims(
  survivor: CanaryApi,
  claims: TickClaims,
  killedAt: number,
): Promise<boolean> {
  while (Date.now() < killedAt + TICK_TIMEOUT_MS / 2) {
    if ((await survivor.tickTask()).workerState?.status === 'idle') {
      return (await claims.heldSince(killedAt, TICK_TIMEOUT_MS)) > 0;
    }
    await sleep(5);
  }
  return false;
}
