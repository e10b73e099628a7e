import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Crash safety, for real: a backend process (dev/index.ts: the canary plugin and the demo on a
 * SQLite file) is killed with SIGKILL in the middle of a rollout, twice, and started again on the
 * same file. The rollout must resume where it was and finish, with every transition in the audit
 * trail exactly once. The demo workload restarts empty each time (stable 1.0.0, no canary), so the
 * engine must also put the world back as the stored phase wants it.
 */

jest.setTimeout(180_000);

const packageDir = resolve(__dirname, '..');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

function writeConfig(dir: string, port: number): string {
  const file = join(dir, 'app-config.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'better-sqlite3',
          connection: { directory: join(dir, 'sqlite') },
        },
      },
      permission: { enabled: false },
      canary: {
        engine: { tickInterval: '300ms' },
        presets: {
          demo: {
            // Generous maxima and no-data allowances: this test is about crash safety, and the
            // backend shares two cores with the rest of the suite.
            stages: [
              { weight: 10, minDuration: '2s', maxDuration: '60s' },
              { weight: 30, minDuration: '2s', maxDuration: '60s' },
              { weight: 60, minDuration: '2s', maxDuration: '60s' },
            ],
            analysis: {
              interval: '500ms',
              minRequestsPerLook: 1,
              minRequestsPerStage: 20,
              metrics: [
                {
                  name: 'error-rate',
                  kind: 'proportion',
                  margin: 0.05,
                  critical: true,
                },
                {
                  name: 'latency',
                  kind: 'distribution',
                  critical: true,
                  unit: 's',
                },
              ],
              maxConsecutiveNoData: 20,
              // Looks of a few requests make p95 ratios noisy; the default 1.5x would flap.
              thresholds: { rollback: { maxP95Ratio: 3 } },
            },
          },
        },
        demo: {
          requestsPerSecond: 200,
          startupDelayMs: 200,
          versions: { '1.0.0': { errorRate: 0 }, '1.1.0': { errorRate: 0 } },
        },
      },
    }),
  );
  return file;
}

class BackendProcess {
  private child?: ChildProcess;
  output = '';

  constructor(private readonly configFile: string, readonly baseUrl: string) {}

  async start() {
    this.child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        'dev/index.ts',
        '--config',
        this.configFile,
      ],
      { cwd: packageDir, env: { ...process.env, NODE_ENV: 'development' } },
    );
    this.child.stdout!.on('data', d => (this.output += d));
    this.child.stderr!.on('data', d => (this.output += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      try {
        const res = await fetch(`${this.baseUrl}/api/canary/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`The backend did not start:\n${this.output.slice(-3000)}`);
  }

  async kill() {
    const child = this.child!;
    const exited = new Promise(done => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
}

describe('a backend killed with SIGKILL mid-rollout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-crash-'));
  let backend: BackendProcess;

  afterAll(async () => {
    await backend?.kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the rollout where it was, and applies no transition twice', async () => {
    const port = await freePort();
    backend = new BackendProcess(
      writeConfig(dir, port),
      `http://127.0.0.1:${port}`,
    );
    await backend.start();
    const api = `${backend.baseUrl}/api/canary`;
    const getRollout = async (id: string) =>
      (await (await fetch(`${api}/rollouts/${id}`)).json()) as any;

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
    expect(chain).toEqual({ ok: true, checked: 9 });
  });
});
