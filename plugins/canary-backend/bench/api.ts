import autocannon from 'autocannon';
import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import {
  argument,
  benchStores,
  BenchStore,
  mib,
  ms,
  print,
  table,
} from './common';
import { storeHistory } from './history';

/**
 * Load benchmark of the read API: `yarn bench:api` (root or plugins/canary-backend), i.e.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/api.ts [--rollouts 10000]
 *     [--entities 500] [--duration 15] [--connections 10] [--seed 1] [--only <route name part>]
 * Stores that many rollouts (SQLite file; also PostgreSQL when CANARY_BENCH_PG or the test
 * utilities' connection string is set), starts the canary backend in a child process, and drives
 * each read route with autocannon on loopback for `duration` seconds: requests/s, latency, and
 * the server process's CPU time per request (which the machine's other load does not change).
 */

const ROLLOUTS = Number(argument('rollouts', '10000'));
const ENTITIES = Number(argument('entities', '500'));
const DURATION = Number(argument('duration', '15'));
const CONNECTIONS = Number(argument('connections', '10'));
const SEED = Number(argument('seed', '1'));
/** Runs only the routes whose name contains this. */
const ONLY = argument('only', '');
const AUTH = { authorization: 'Bearer mock-user-token' };

type Server = {
  baseUrl: string;
  /** The server process's CPU time so far (user + system), in milliseconds. */
  cpuMs(): Promise<number>;
  stop(): void;
};

/** The canary backend on `store`, in a child process (see apiServer.ts). */
function startServer(store: BenchStore): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(__dirname, 'apiServer.ts'),
    ],
    {
      env: { ...process.env, BENCH_DATABASE: JSON.stringify(store.database) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', code => reject(new Error(`server exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', line => {
      const port = /^listening (\d+)$/.exec(line)?.[1];
      if (port) {
        resolve({
          baseUrl: `http://127.0.0.1:${port}/api/canary`,
          cpuMs: () =>
            new Promise(answer => {
              // Backstage's own tooling may use the channel too: wait for our answer.
              const listener = (message: { cpuUsage?: NodeJS.CpuUsage }) => {
                if (!message?.cpuUsage) return;
                child.off('message', listener);
                answer(
                  (message.cpuUsage.user + message.cpuUsage.system) / 1000,
                );
              };
              child.on('message', listener);
              child.send('cpu');
            }),
          stop: () => child.kill('SIGTERM'),
        });
      }
    });
  });
}

async function getJson(url: string) {
  const res = await fetch(url, { headers: AUTH });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs autocannon against paths chosen by `nextPath` for every request. */
async function load(baseUrl: string, nextPath: () => string) {
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: AUTH,
    requests: [
      {
        method: 'GET',
        setupRequest: (req: object) => ({ ...req, path: nextPath() }),
      },
    ],
  });
  return result;
}

async function run(store: BenchStore) {
  print(`\n## ${ROLLOUTS} stored rollouts, store: ${store.name}`);
  const random = createSeededRandom(SEED);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const storeStart = performance.now();
  const { ids, entityRefs } = await storeHistory({
    database: store.database,
    count: ROLLOUTS,
    entities: ENTITIES,
    seed: SEED,
  });
  print(
    `Stored ${ids.length} rollouts of ${entityRefs.length} services in ${ms(
      performance.now() - storeStart,
    )}`,
  );
  const server = await startServer(store);
  try {
    const apiPath = new URL(server.baseUrl).pathname;
    // Cursors of pages 2-5 of the list, as a user paging through it would send them.
    const cursors: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const body = await getJson(
        `${server.baseUrl}/rollouts?limit=20${
          cursor ? `&cursor=${cursor}` : ''
        }`,
      );
      cursor = body.nextCursor;
      cursors.push(cursor!);
    }
    const scenarios: Array<[string, () => string]> = [
      [
        'GET /rollouts/:id (random id)',
        () => `${apiPath}/rollouts/${pick(ids)}`,
      ],
      ['GET /rollouts (first page, 20)', () => `${apiPath}/rollouts?limit=20`],
      [
        'GET /rollouts (pages 2-5, cursor)',
        () => `${apiPath}/rollouts?limit=20&cursor=${pick(cursors)}`,
      ],
      [
        'GET /rollouts?entityRef= (random service)',
        () =>
          `${apiPath}/rollouts?limit=20&entityRef=${encodeURIComponent(
            pick(entityRefs),
          )}`,
      ],
      [
        'GET /rollouts?phase=RolledBack',
        () => `${apiPath}/rollouts?limit=20&phase=RolledBack`,
      ],
      [
        'GET /rollouts (first page, 200)',
        () => `${apiPath}/rollouts?limit=200`,
      ],
    ];
    const rows: string[][] = [];
    for (const [name, nextPath] of scenarios.filter(([n]) =>
      n.includes(ONLY),
    )) {
      // A few seconds of the same load first, so the figures are of a warm server.
      await autocannon({
        url: server.baseUrl,
        connections: CONNECTIONS,
        duration: 2,
        headers: AUTH,
        requests: [
          {
            method: 'GET',
            setupRequest: (req: object) => ({ ...req, path: nextPath() }),
          },
        ],
      });
      const cpuBefore = await server.cpuMs();
      const r = await load(server.baseUrl, nextPath);
      const cpuPerRequest =
        ((await server.cpuMs()) - cpuBefore) / r.requests.total;
      rows.push([
        name,
        r.requests.average.toFixed(0),
        ms(cpuPerRequest),
        ms(r.latency.p50),
        ms(r.latency.p90),
        ms(r.latency.p99),
        ms(r.latency.max),
        String(r.non2xx + r.errors + r.timeouts),
      ]);
    }
    table(
      [
        'route',
        'req/s',
        'server CPU/req',
        'p50',
        'p90',
        'p99',
        'max',
        'non-2xx/errors',
      ],
      rows,
    );
  } finally {
    server.stop();
    await store.cleanup();
  }
}

async function main() {
  print(
    `# Read API: ${CONNECTIONS} connections, ${DURATION} s per route after 2 s of warm-up, Node ${
      process.version
    }, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map(l => l.toFixed(1))
      .join(' ')}`,
  );
  for (const store of benchStores()) {
    await run(store);
  }
  print(`Load generator RSS ${mib(process.memoryUsage().rss)}`);
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
