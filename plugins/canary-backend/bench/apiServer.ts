import { startCanary } from './common';

/**
 * The canary backend for the read API benchmark (bench/api.ts starts it as a child process, so the
 * load generator does not share its event loop): routes and store for real, on the database of
 * BENCH_DATABASE (`backend.database` config as JSON), mock auth and an empty catalog; the engine
 * does not tick. Prints `listening <port>` when ready; answers the IPC message `cpu` with its CPU usage.
 */
async function main() {
  const backend = await startCanary({
    database: JSON.parse(process.env.BENCH_DATABASE!),
    canary: {},
    entities: [],
  });
  // The parent asks for the CPU time spent so far, to divide it by the requests served.
  process.on('message', message => {
    if (message === 'cpu') process.send!({ cpuUsage: process.cpuUsage() });
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
