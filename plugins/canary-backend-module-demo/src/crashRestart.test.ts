import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threeStageStrategy } from './__testUtils__/strategies';
import { BackendProcess, sleep } from './harness/BackendProcess';
import { backendConfig, sqliteDatabase } from './harness/backendConfig';
import { CanaryApi } from './harness/CanaryApi';

/**
 * Crash safety, for real: a backend process (dev/index.ts: the canary plugin and the demo on a
 * SQLite file) is killed with SIGKILL in the middle of a rollout, twice, and started again on the
 * same file. The rollout must resume where it was and finish, with every transition in the audit
 * trail exactly once. The demo workload restarts empty each time (stable 1.0.0, no canary), so the
 * engine must also put the world back as the stored phase wants. (The long tier's crash harness,
 * crashHarness.test.ts, does this for 50 rollouts and many more kills.)
 */

jest.setTimeout(180_000);

function canaryConfig() {
  return {
    presets: {
      // Generous maxima and no-data allowances: this test is about crash safety, and the
      // backend shares two cores with the rest of the suite.
      demo: threeStageStrategy({
        minDuration: '2s',
        maxDuration: '60s',
        interval: '500ms',
        minRequestsPerLook: 1,
        maxConsecutiveNoData: 20,
      }),
    },
    demo: {
      requestsPerSecond: 200,
      startupDelayMs: 200,
      versions: { '1.0.0': { errorRate: 0 }, '1.1.0': { errorRate: 0 } },
    },
  };
}

describe('a backend killed with SIGKILL mid-rollout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-crash-'));
  let backend: BackendProcess;

  afterAll(async () => {
    await backend?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the rollout where it was, and applies no transition twice', async () => {
    backend = await BackendProcess.create(dir, 'backend', port =>
      backendConfig({
        port,
        database: sqliteDatabase(dir),
        canary: canaryConfig(),
      }),
    );
    await backend.start();
    const api = backend.api;
    const getRollout = async (id: string) =>
      (await (await fetch(`${api}/rollouts/${id}`)).json()) as any;
    // A tick lock left by a killed process expires after the configured timeout, so that the
    // next process can take the engine over (the default would be 6 tick intervals).
    expect((await new CanaryApi(api).tickTask()).settings).toEqual(
      expect.objectContaining({
        cadence: 'PT0.3S',
        timeoutAfterDuration: 'PT2S',
      }),
    );

    const launched = await fetch(`${api}/rollouts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        entityRef: 'component:default/demo-shop',
        canaryVersion: '1.1.0',
      }),
    });
    expect(launched.status).toBe(201);
    const { id } = (await launched.json()) as any;

    // Kill it once in the first stage and once in the second, each time mid-stage.
    for (const stageIndex of [0, 1]) {
      let rollout = await getRollout(id);
      const deadline = Date.now() + 60_000;
      while (!(rollout.stageIndex === stageIndex && rollout.stageStartedAt)) {
        expect(Date.now()).toBeLessThan(deadline);
        expect(`${rollout.phase}: ${rollout.message}`).toMatch(
          /^(Pending|Progressing)/,
        );
        await sleep(200);
        rollout = await getRollout(id);
      }
      await sleep(700);
      await backend.kill();
      await backend.start();
    }

    let rollout = await getRollout(id);
    const deadline = Date.now() + 90_000;
    while (
      !['Succeeded', 'RolledBack', 'Paused', 'Failed'].includes(rollout.phase)
    ) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(300);
      rollout = await getRollout(id);
    }
    expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);

    const audit = (await (
      await fetch(`${api}/audit?rolloutId=${id}`)
    ).json()) as any;
    expect(audit.items.map((e: any) => `${e.action}@${e.stageIndex}`)).toEqual([
      'launch@-1',
      'start@0',
      'traffic-shifted@0',
      'advance@1',
      'traffic-shifted@1',
      'advance@2',
      'traffic-shifted@2',
      'complete@2',
      'promoted@2',
    ]);
    const chain = (await (
      await fetch(`${api}/audit/verify?rolloutId=${id}`)
    ).json()) as any;
    expect(chain).toMatchObject({ ok: true, complete: true, checked: 9 });
  });
});
