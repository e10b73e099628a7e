import pLimit from 'p-limit';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RolloutService } from '../src/service/RolloutService';
import {
  argument,
  benchStores,
  BenchStore,
  mib,
  ms,
  percentile,
  print,
  startCanary,
  table,
} from './common';
import { benchEntity, LatencyWorld } from './world';

/**
 * Load benchmark of the engine: `yarn bench:engine` (root or plugins/canary-backend), i.e.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/engine.ts [--rollouts 1000] [--ticks 5]
 *     [--concurrency N] [--seed 1] [--min-ms 5] [--max-ms 30]
 * Launches that many rollouts through the API of the real canary backend (store on a SQLite file,
 * and on PostgreSQL when CANARY_BENCH_PG or the test utilities' connection string is set), on
 * providers that answer after a seeded random 5-30 ms, then drives full engine ticks in which
 * every rollout takes a metrics look, and reports each tick's wall time, the per-rollout tick
 * durations, the process's CPU time and its memory.
 */

const ROLLOUTS = Number(argument('rollouts', '1000'));
const TICKS = Number(argument('ticks', '5'));
const CONCURRENCY = argument('concurrency', '');
const SEED = Number(argument('seed', '1'));
const MIN_MS = Number(argument('min-ms', '5'));
const MAX_MS = Number(argument('max-ms', '30'));
/** The analysis interval: a look is due on every rollout when this has passed since its last. */
const INTERVAL_MS = 1000;
const MAX_WARM_UP_TICKS = 10;
const LAUNCH_CONCURRENCY = 20;

/** Per-rollout tick durations and failures, recorded around RolloutService.tick. */
const tickDurations: number[] = [];
let tickFailures = 0;
const originalTick = RolloutService.prototype.tick;
RolloutService.prototype.tick = async function timedTick(
  this: RolloutService,
  ...args: Parameters<typeof originalTick>
) {
  const start = performance.now();
  try {
    return await originalTick.apply(this, args);
  } catch (error) {
    tickFailures++;
    throw error;
  } finally {
    tickDurations.push(performance.now() - start);
  }
};

async function run(store: BenchStore) {
  const world = new LatencyWorld({ seed: SEED, minMs: MIN_MS, maxMs: MAX_MS });
  const names = Array.from({ length: ROLLOUTS }, (_, i) => `svc-${i}`);
  const backend = await startCanary({
    database: store.database,
    entities: names.map(benchEntity),
    canary: {
      // Stages that outlast the benchmark: every tick judges every rollout, none finishes.
      defaults: {
        stages: [
          { weight: 10, minDuration: '1h' },
          { weight: 50, minDuration: '1h' },
        ],
        analysis: { interval: `${INTERVAL_MS}ms` },
      },
      engine: CONCURRENCY ? { tickConcurrency: Number(CONCURRENCY) } : {},
    },
    features: [world.module()],
  });
  try {
    print(`\n## ${ROLLOUTS} active rollouts, store: ${store.name}`);
    const launchStart = performance.now();
    const limit = pLimit(LAUNCH_CONCURRENCY);
    await Promise.all(
      names.map(name =>
        limit(async () => {
          const res = await fetch(`${backend.baseUrl}/rollouts`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
              entityRef: `component:default/${name}`,
              canaryVersion: '2.0.0',
            }),
          });
          if (res.status !== 201) {
            throw new Error(
              `launch ${name}: ${res.status} ${await res.text()}`,
            );
          }
        }),
      ),
    );
    print(
      `Launched through the API in ${ms(
        performance.now() - launchStart,
      )} (${LAUNCH_CONCURRENCY} at a time)`,
    );

    const rows: string[][] = [];
    let warmUps = 0;
    let measured = 0;
    while (measured < TICKS) {
      const looksBefore = world.calls.sample ?? 0;
      tickDurations.length = 0;
      tickFailures = 0;
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      await backend.tick();
      const wall = performance.now() - start;
      const cpu = process.cpuUsage(cpuBefore);
      const looks = ((world.calls.sample ?? 0) - looksBefore) / 2;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const warmUp = looks < ROLLOUTS;
      if (warmUp) warmUps++;
      else measured++;
      rows.push([
        warmUp ? `warm-up ${warmUps}` : `${measured}`,
        String(tickDurations.length),
        String(looks),
        String(tickFailures),
        ms(wall),
        ms(percentile(tickDurations, 0.5)),
        ms(percentile(tickDurations, 0.99)),
        ms(Math.max(...tickDurations)),
        `${ms(cpuMs)} (${((100 * cpuMs) / wall).toFixed(0)} %)`,
      ]);
      if (warmUps > MAX_WARM_UP_TICKS) {
        throw new Error(
          `Rollouts did not all reach a stage in ${warmUps} ticks`,
        );
      }
      // The next look of every rollout is due one interval after this tick's last look.
      await sleep(INTERVAL_MS);
    }
    table(
      [
        'tick',
        'rollouts',
        'looks',
        'failed',
        'wall time',
        'per rollout p50',
        'p99',
        'max',
        'CPU user+sys (of wall)',
      ],
      rows,
    );
    const memory = process.memoryUsage();
    print(
      `Memory after: RSS ${mib(memory.rss)}, heap used ${mib(
        memory.heapUsed,
      )} of ${mib(memory.heapTotal)}`,
    );
    print(
      `Provider calls: ${Object.entries(world.calls)
        .map(([method, count]) => `${method} ${count}`)
        .join(', ')}`,
    );
  } finally {
    await backend.stop();
    await store.cleanup();
  }
}

async function main() {
  print(
    `# Engine ticks: ${ROLLOUTS} rollouts, provider calls ${MIN_MS}-${MAX_MS} ms (seed ${SEED}), tickConcurrency ${
      CONCURRENCY || 'default'
    }, Node ${process.version}, ${process.platform} ${process.arch}`,
  );
  for (const store of benchStores()) {
    await run(store);
  }
}

// Exits explicitly: a stopped backend leaves a timer of its services behind.
main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
