import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The database a harness backend runs on. */
export type HarnessDatabase =
  | { kind: 'sqlite'; directory: string }
  | { kind: 'postgres'; url: string; prefix: string };

/**
 * The PostgreSQL that `scripts/postgres.sh` started, from the variable it exports for
 * @backstage/backend-test-utils (`BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING`);
 * undefined when there is none.
 */
export function postgresUrl(): string | undefined {
  const key = Object.keys(process.env)
    .filter(k =>
      /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
    )
    .sort()
    .pop();
  return key && process.env[key];
}

/** The long tests (minutes each) run only in CI's long tier or by hand: CANARY_LONG_TESTS=1. */
export const LONG_TESTS = process.env.CANARY_LONG_TESTS === '1';

/** `describe` when `run`, else `describe.skip`. */
export const describeIf = (run: boolean) => (run ? describe : describe.skip);

/**
 * Whether a test that needs PostgreSQL runs: where none was started it is skipped, except in CI,
 * where it runs and fails, because a missing database must not pass as a skipped test.
 */
export function postgresRequired(): boolean {
  return postgresUrl() !== undefined || Boolean(process.env.CI);
}

/** A PostgreSQL database of its own for each run: backends given the same prefix share it. */
export function postgresDatabase(name: string): HarnessDatabase {
  const url = postgresUrl();
  if (!url) {
    throw new Error(
      'No PostgreSQL: source scripts/postgres.sh first (it exports BACKSTAGE_TEST_DATABASE_POSTGRES*_CONNECTION_STRING)',
    );
  }
  return {
    kind: 'postgres',
    url,
    prefix: `${name}_${randomBytes(4).toString('hex')}_`,
  };
}

export function sqliteDatabase(dir: string): HarnessDatabase {
  return { kind: 'sqlite', directory: join(dir, 'sqlite') };
}

/**
 * A compressed strategy: two stages of seconds, a look every `intervalMs`, judged on the error rate
 * alone. Latency is not what the harnesses test, and a loaded machine (or a restart) slows every
 * arm; stages may last long, since a backend that is down still spends their time.
 */
export function compressedStrategy(intervalMs: number) {
  return {
    stages: [
      { weight: 20, minDuration: '2s', maxDuration: '10m' },
      { weight: 50, minDuration: '2s', maxDuration: '10m' },
    ],
    analysis: {
      interval: `${intervalMs}ms`,
      minRequestsPerLook: 1,
      minRequestsPerStage: 15,
      metrics: [
        {
          name: 'error-rate',
          kind: 'proportion',
          margin: 0.05,
          critical: true,
        },
      ],
      // A crash leaves looks without data (the world restarts empty); they must not end a rollout.
      maxConsecutiveNoData: 40,
    },
  };
}

/**
 * The app-config of a harness backend (dev/index.ts): permissions off, the engine ticking every
 * 300 ms with a short tick timeout (so that a tick lock left by a killed process is freed by the
 * scheduler janitor of the next process to start), and `canary` as given (the `demo` preset, the
 * demo block).
 */
export function backendConfig(options: {
  port: number;
  database: HarnessDatabase;
  canary: object;
  tickTimeout?: string;
}) {
  const { port, database } = options;
  return {
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database:
        database.kind === 'sqlite'
          ? {
              client: 'better-sqlite3',
              connection: { directory: database.directory },
            }
          : {
              client: 'pg',
              connection: database.url,
              prefix: database.prefix,
            },
    },
    permission: { enabled: false },
    canary: {
      engine: {
        tickInterval: '300ms',
        tickTimeout: options.tickTimeout ?? '2s',
      },
      ...options.canary,
    },
  };
}
