import { ServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { canaryPlugin } from '../plugin';
import { MemoryWorld, memoryProvidersModule } from '../testing/memoryProviders';

/** The canary backend on the memory world, as the route tests start it. */

export const SHOP = 'component:default/shop';
export const PLAIN = 'component:default/plain';

/** A component set up for canary releases on the memory world. */
export function canaryComponent(
  name: string,
  spec: { owner?: string; system?: string } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'backstage.io/kubernetes-id': name,
        'canary.backstage.io/router': 'memory',
        'canary.backstage.io/metrics': 'memory',
        'canary.backstage.io/workload': 'memory',
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'team-a',
      ...spec,
    },
  };
}

/** `shop`, set up for canary releases, and `plain`, which is not. */
export const ENTITIES: Entity[] = [
  canaryComponent('shop'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'plain' },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  },
];

/** A fast strategy: the memory world answers at once, so stages of 100 ms are enough. */
export const FAST = {
  stages: [
    { weight: 10, minDuration: '100ms' },
    { weight: 50, minDuration: '100ms' },
  ],
  analysis: {
    interval: '100ms',
    minRequestsPerLook: 1,
    minRequestsPerStage: 1,
    // A margin a few hundred requests can show, so that stages of 100 ms can pass.
    metrics: [
      { name: 'error-rate', kind: 'proportion', margin: 0.05, critical: true },
    ],
  },
};

type TestScheduler = {
  factory(): ServiceFactory;
  triggerTask(id: string): Promise<void>;
};

export async function startBackend(
  options: {
    permissions?: ServiceFactory;
    config?: object;
    entities?: Entity[];
    /** The plugin's database; an in-memory SQLite of its own otherwise. */
    knex?: Knex;
    /** The world the providers act on; a new one otherwise. */
    world?: MemoryWorld;
  } = {},
) {
  const world = options.world ?? new MemoryWorld();
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const { server } = await startTestBackend({
    features: [
      canaryPlugin,
      memoryProvidersModule(world),
      catalogServiceMock.factory({ entities: options.entities ?? ENTITIES }),
      scheduler.factory(),
      ...(options.permissions ? [options.permissions] : []),
      ...(options.config
        ? [mockServices.rootConfig.factory({ data: options.config })]
        : []),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
    ],
  });
  const triggerTask = (id: string) => scheduler.triggerTask(id);
  const tick = () => triggerTask('canary-engine-tick');
  return { server, world, tick, triggerTask };
}

/**
 * SQLite and, where the test script started one, PostgreSQL. Call at the top of a test file and
 * test `hasRequiredDatabases()`: where PostgreSQL is promised (the test script, CI), its absence
 * fails instead of skipping the PostgreSQL half silently.
 */
export function createTestDatabases() {
  const postgres = (process.env.CANARY_TEST_POSTGRES_ID ??
    'POSTGRES_15') as TestDatabaseId;
  const databases = TestDatabases.create({ ids: ['SQLITE_3', postgres] });
  const hasRequiredDatabases = () => {
    const required = Boolean(
      process.env.CANARY_TEST_POSTGRES_ID || process.env.CI,
    );
    return (
      databases.supports('SQLITE_3') &&
      (databases.supports(postgres) || !required)
    );
  };
  return { databases, hasRequiredDatabases };
}
