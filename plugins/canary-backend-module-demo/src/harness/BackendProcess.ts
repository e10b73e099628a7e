import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/** The demo package, where `dev/index.ts` lives. */
const PACKAGE_DIR = resolvePackagePath(
  '@canary-release/backstage-plugin-canary-backend-module-demo',
);
/** What is kept of a process's output, for the error when it does not start. */
const MAX_OUTPUT_CHARS = 100_000;

export const sleep = (ms: number) =>
  new Promise<void>(done => setTimeout(done, ms));

/**
 * Fixed ports are taken from below the kernel's ephemeral range (32768-60999 on Linux), where no
 * outgoing connection can hold them: a backend restarted on the same port must find it free, and
 * the demo's load generator opens connections by the hundred.
 */
const FIXED_PORTS = { from: 20_000, to: 32_000 };

/** A port on 127.0.0.1, below the ephemeral range, that nothing listens on right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port =
      FIXED_PORTS.from +
      Math.floor(Math.random() * (FIXED_PORTS.to - FIXED_PORTS.from));
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise(done => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * Removes a harness's directory after a run that passed; keeps it (the backends' logs, a SQLite
 * database) after one that failed, and says where.
 */
export function keepOrRemove(dir: string, passed: boolean): void {
  if (passed) {
    rmSync(dir, { recursive: true, force: true });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`The run failed: its backends' logs are kept in ${dir}`);
  }
}

/**
 * A real backend process: `dev/index.ts` (the canary plugin and the demo module) with a config of
 * the test's making, on a fixed port, so that it can be killed and started again at the same
 * address on the same database.
 */
export class BackendProcess {
  private child?: ChildProcess;
  private log = '';

  private constructor(
    private readonly configFile: string,
    /** Everything every start of the process wrote, for a look after a failed run. */
    readonly logFile: string,
    readonly baseUrl: string,
  ) {}

  /**
   * Picks a free port and writes `${dir}/${name}.json` from `config(port)`; does not start. The
   * process's output goes to `${dir}/${name}.log`.
   */
  static async create(
    dir: string,
    name: string,
    config: (port: number) => object,
  ): Promise<BackendProcess> {
    const port = await freePort();
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config(port)));
    return new BackendProcess(
      file,
      join(dir, `${name}.log`),
      `http://127.0.0.1:${port}`,
    );
  }

  /** The canary plugin's routes. */
  get api(): string {
    return `${this.baseUrl}/api/canary`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  /** The end of what the process wrote, for failure messages. */
  get output(): string {
    return this.log;
  }

  /** Starts the process and waits until the canary plugin answers `/health`. */
  async start(timeoutMs = 90_000): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        'dev/index.ts',
        '--config',
        this.configFile,
      ],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
      },
    );
    this.child = child;
    appendFileSync(
      this.logFile,
      `--- ${new Date().toISOString()} start, pid ${child.pid}\n`,
    );
    const append = (data: Buffer) => {
      this.log = (this.log + data).slice(-MAX_OUTPUT_CHARS);
      appendFileSync(this.logFile, data);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${this.api}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(
      `The backend ${this.baseUrl} did not start:\n${this.log.slice(-3000)}`,
    );
  }

  /** SIGKILL: no shutdown hook runs, whatever the process was doing stops there. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise(done => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    appendFileSync(this.logFile, `--- ${new Date().toISOString()} SIGKILL\n`);
  }
}
