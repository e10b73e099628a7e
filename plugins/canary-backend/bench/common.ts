import { BackendFeature, ServiceFactory } from '@backstage/backend-plugin-api';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import knexFactory from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canaryPlugin } from '../src/plugin';

export function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export const print = (line = '') => process.stdout.write(`${line}\n`);

export const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The p-quantile of `values` (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map(r => r[i].length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  print(line(header));
  print(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`);
  rows.forEach(r => print(line(r)));
}

/** A store to benchmark: `backend.database` config, and how to throw it away afterwards. */
export interface BenchStore {
  name: string;
  database: JsonObject;
  cleanup(): Promise<void>;
}

/** A PostgreSQL connection string: CANARY_BENCH_PG, else the one the test utilities read. */
function postgresUrl(): string | undefined {
  if (process.env.CANARY_BENCH_PG) return process.env.CANARY_BENCH_PG;
  const key = Object.keys(process.env).find(k =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
  );
  return key ? process.env[key] : undefined;
}

/** A fresh SQLite file; and a fresh PostgreSQL database when a server is configured. */
export function benchStores(): BenchStore[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-bench-'));
  const stores: BenchStore[] = [
    {
      name: `SQLite file (${dir}/canary.sqlite)`,
      database: { client: 'better-sqlite3', connection: { directory: dir } },
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    },
  ];
  const url = postgresUrl();
  if (url) {
    const prefix = `canary_bench_${process.pid}_`;
    stores.push({
      name: `PostgreSQL (${new URL(url).host}, database ${prefix}canary)`,
      database: { client: 'pg', connection: url, prefix },
      cleanup: async () => {
        const admin = knexFactory({ client: 'pg', connection: url });
        try {
          await admin.raw(
            `DROP DATABASE IF EXISTS "${prefix}canary" WITH (FORCE)`,
          );
        } finally {
          await admin.destroy();
        }
      },
    });
  }
  return stores;
}

/**
 * The canary backend plugin for real (routes, engine, store on `database`) with mock auth (every
 * request is a user), the catalog holding `entities`, and a scheduler that runs the engine's tick
 * only when `tick()` is called.
 */
export async function startCanary(options: {
  database: JsonObject;
  canary: JsonObject;
  entities: Entity[];
  features?: BackendFeature[];
}) {
  const scheduler = mockServices.scheduler() as unknown as {
    factory(options: { skipTaskRunOnStartup: boolean }): ServiceFactory;
    triggerTask(id: string): Promise<void>;
  };
  const backend = await startTestBackend({
    features: [
      canaryPlugin,
      databaseServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: { database: options.database },
          canary: options.canary,
        },
      }),
      catalogServiceMock.factory({ entities: options.entities }),
      scheduler.factory({ skipTaskRunOnStartup: true }),
      ...(options.features ?? []),
    ],
  });
  return {
    baseUrl: `http://127.0.0.1:${backend.server.port()}/api/canary`,
    tick: () => scheduler.triggerTask('canary-engine-tick'),
    stop: () => backend.stop(),
  };
}
