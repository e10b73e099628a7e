import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { argument, mib, ms, percentile, print, table } from './common';

/**
 * How `POST /analyze` loads the backend: `yarn bench:analyze-load` (root or plugins/canary-backend), i.e.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/analyzeLoad.ts [--duration 20]
 *     [--concurrency 4] [--metrics 20] [--looks 1000] [--samples 50] [--probe-ms 20]
 * Starts the canary backend in a child process (bench/apiServer.ts, SQLite file, no rate limit to
 * speak of), sends `concurrency` worst-case analysis bodies in a loop (20 distributions × 1000
 * looks × 50 raw samples per arm: the request limits' 2·10^6 values) and meanwhile asks
 * `GET /health` every `probe-ms`: its latency is how long every other route of the backend waits.
 */

const DURATION = Number(argument('duration', '20'));
const CONCURRENCY = Number(argument('concurrency', '4'));
const METRICS = Number(argument('metrics', '20'));
const LOOKS = Number(argument('looks', '1000'));
const SAMPLES = Number(argument('samples', '50'));
const PROBE_MS = Number(argument('probe-ms', '20'));
const AUTH = { authorization: 'Bearer mock-user-token' };

/** The worst case the request limits allow: distributions with raw samples at every look. */
function worstCaseBody(): Buffer {
  const random = createSeededRandom(1);
  const arm = (scale: number) => ({
    samples: Array.from({ length: SAMPLES }, () =>
      Math.round(scale * (50 + 100 * random())),
    ),
  });
  const metrics = Array.from({ length: METRICS }, (_, m) => {
    const baseline = arm(1);
    const canary = arm(1.02);
    return {
      name: `latency-${m}`,
      kind: 'distribution',
      unit: 'ms',
      margin: 0.1,
      // Cumulative looks that gain no samples: every look is judged on the same data.
      looks: Array.from({ length: LOOKS }, () => ({ baseline, canary })),
    };
  });
  return Buffer.from(JSON.stringify({ metrics }));
}

type Delays = { p50: number; p99: number; max: number };
type Server = {
  port: number;
  /** The server's event loop delays since the last call (monitorEventLoopDelay). */
  eventLoop(): Promise<Delays>;
  stop(): void;
};

/** The canary backend in a child process, as bench/api.ts starts it. */
function startServer(directory: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(__dirname, 'apiServer.ts'),
    ],
    {
      env: {
        ...process.env,
        BENCH_DATABASE: JSON.stringify({
          client: 'better-sqlite3',
          connection: { directory },
        }),
        BENCH_CANARY: JSON.stringify({
          analyze: { rateLimit: { requests: 1_000_000, window: '1m' } },
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', code => reject(new Error(`server exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', line => {
      const port = /^listening (\d+)$/.exec(line)?.[1];
      if (!port) return;
      resolve({
        port: Number(port),
        eventLoop: () =>
          new Promise(answer => {
            const listener = (message: { eventLoop?: Delays }) => {
              if (!message?.eventLoop) return;
              child.off('message', listener);
              answer(message.eventLoop);
            };
            child.on('message', listener);
            child.send('eventLoop');
          }),
        stop: () => child.kill(),
      });
    });
  });
}

/**
 * One request on a connection of its own (a kept-alive one may be closed by the server as it is
 * reused); the answer's body is read and thrown away.
 */
function send(
  port: number,
  method: string,
  urlPath: string,
  body?: Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent: false,
        method,
        path: `/api/canary${urlPath}`,
        headers: {
          ...AUTH,
          ...(body
            ? {
                'content-type': 'application/json',
                'content-length': body.length,
              }
            : {}),
        },
      },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const body = worstCaseBody();
  print(
    `# /health under ${CONCURRENCY} concurrent POST /analyze of ${(
      body.length / 1e6
    ).toFixed(
      1,
    )} MB (${METRICS} distributions × ${LOOKS} looks × ${SAMPLES} samples per arm), ${DURATION} s, Node ${
      process.version
    }, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map(l => l.toFixed(1))
      .join(' ')}`,
  );
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-bench-'));
  const server = await startServer(directory);
  try {
    // Warm-up: the first request starts the route's workers, if any.
    await send(server.port, 'POST', '/analyze', body);
    await server.eventLoop();

    const until = performance.now() + DURATION * 1000;
    const statuses = new Map<number, number>();
    const analyzeMs: number[] = [];
    const senders = Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const start = performance.now();
        const status = await send(server.port, 'POST', '/analyze', body);
        analyzeMs.push(performance.now() - start);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    });
    const healthMs: number[] = [];
    const probe = (async () => {
      while (performance.now() < until) {
        const start = performance.now();
        const status = await send(server.port, 'GET', '/health');
        if (status !== 200) throw new Error(`/health answered ${status}`);
        healthMs.push(performance.now() - start);
        await sleep(PROBE_MS);
      }
    })();
    await Promise.all([...senders, probe]);

    const row = (name: string, values: number[]) => [
      name,
      String(values.length),
      ms(percentile(values, 0.5)),
      ms(percentile(values, 0.99)),
      ms(Math.max(...values)),
    ];
    const analyzed = [...statuses]
      .map(([status, n]) => `${n}× ${status}`)
      .join(', ');
    table(
      ['requests', 'count', 'p50', 'p99', 'max'],
      [
        row('GET /health', healthMs),
        // With --concurrency 0: /health alone, the machine's own noise.
        ...(analyzeMs.length
          ? [row(`POST /analyze (${analyzed})`, analyzeMs)]
          : []),
      ],
    );
    // Measured in the server: how long its event loop was held, apart from the network and
    // the load generator's own scheduling.
    const loop = await server.eventLoop();
    print(
      `Server event loop delay: p50 ${ms(loop.p50)}, p99 ${ms(
        loop.p99,
      )}, max ${ms(loop.max)}`,
    );
    print(`Load generator RSS ${mib(process.memoryUsage().rss)}`);
  } finally {
    server.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
