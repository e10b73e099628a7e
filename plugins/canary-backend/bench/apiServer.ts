import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startCanary } from './common';

/**
 * The canary backend for the API benchmarks (bench/api.ts and bench/analyzeLoad.ts start it as a
 * child process, so the load generator does not share its event loop): routes and store for real,
 * on the database of BENCH_DATABASE (`backend.database` config as JSON), with the `canary` config
 * of BENCH_CANARY (JSON, default none), mock auth and an empty catalog; the engine does not tick.
 * Prints `listening <port>` when ready; answers the IPC message `cpu` with its CPU usage, and
 * `eventLoop` with the event loop's delays (ms) since the last time it was asked.
 */
async function main() {
  const backend = await startCanary({
    database: JSON.parse(process.env.BENCH_DATABASE!),
    canary: JSON.parse(process.env.BENCH_CANARY ?? '{}'),
    entities: [],
  });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  // The parent asks for the CPU time spent so far, to divide it by the requests served.
  process.on('message', message => {
    if (message === 'cpu') process.send!({ cpuUsage: process.cpuUsage() });
    if (message === 'eventLoop') {
      process.send!({
        eventLoop: {
          p50: delay.percentile(50) / 1e6,
          p99: delay.percentile(99) / 1e6,
          max: delay.max / 1e6,
        },
      });
      delay.reset();
    }
  });
  process.stdout.write(`listening ${new URL(backend.baseUrl).port}\n`);
  process.on('SIGTERM', () => {
    backend.stop().finally(() => process.exit(0));
  });
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
