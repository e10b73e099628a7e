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
import {
  canaryComponent,
  FAST,
  OVERRIDE_ANY_POLICY,
  TestScheduler,
  SHOP,
} from '../testing/memoryBackend';
import { MemoryWorld, memoryProvidersModule } from '../testing/memoryProviders';

/** The canary backend on the memory world, as the route tests start it. */

export { canaryComponent, FAST, SHOP };
export const PLAIN = 'component:default/plain';

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

export async function startBackend(
  options: {
    permissions?: ServiceFactory;
    /** The root config; unless it sets `canary.policy`, launches may override any field. */
    config?: { canary?: object; [key: string]: unknown };
    entities?: Entity[];
    /** The plugin's database; an in-memory SQLite of its own otherwise. */
    knex?: Knex;
    /** The world the providers act on; a new one otherwise. */
    world?: MemoryWorld;
    /** Leaves the memory providers out, as a backend deployed without a provider module. */
    withoutProviders?: boolean;
    /** Further services or modules, e.g. a mocked notification service. */
    features?: ServiceFactory[];
  } = {},
) {
  const world = options.world ?? new MemoryWorld();
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const { server } = await startTestBackend({
    features: [
      canaryPlugin,
      ...(options.withoutProviders ? [] : [memoryProvidersModule(world)]),
      catalogServiceMock.factory({ entities: options.entities ?? ENTITIES }),
      scheduler.factory(),
      ...(options.permissions ? [options.permissions] : []),
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          canary: { policy: OVERRIDE_ANY_POLICY, ...options.config?.canary },
        },
      }),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      ...(options.features ?? []),
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
