import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/testBackend';
import { makeRollout } from '../engine/testRollout';
import { RolloutStore } from './RolloutStore';

/*
 * The migration that copies a rollout's entity ref into its target (20261211100000), on SQLite and
 * PostgreSQL: rollouts stored before it, which may still act, get `target.entityRef`; succeeded
 * ones, which never act again, are left as they are.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();
const directory = resolvePackagePath(
  '@canary-release/backstage-plugin-canary-backend',
  'migrations',
);
const MIGRATION = '20261211100000_target_entity_ref.js';

describe('the test script provides PostgreSQL', () => {
  it('runs the migration tests on PostgreSQL in CI', () => {
    expect(hasRequiredDatabases()).toBe(true);
  });
});

describe.each(databases.eachSupportedId())(
  'the target entity ref migration on %p',
  databaseId => {
    it('names the entity in the targets of rollouts that may still act', async () => {
      const knex = await databases.init(databaseId);
      const store = await RolloutStore.create(mockServices.database({ knex }));
      await knex.migrate.down({ directory, name: MIGRATION });
      const active = makeRollout({
        id: '00000000-0000-4000-8000-00000000000a',
        phase: 'Progressing',
      });
      const failed = makeRollout({
        id: '00000000-0000-4000-8000-00000000000b',
        entityRef: 'component:default/cart',
        target: { ...active.target, name: 'cart' },
        phase: 'Failed',
      });
      const succeeded = makeRollout({
        id: '00000000-0000-4000-8000-00000000000c',
        target: { ...active.target, name: 'other' },
        phase: 'Succeeded',
      });
      for (const rollout of [active, failed, succeeded]) {
        expect(rollout.target.entityRef).toBeUndefined();
        await store.insert(rollout, []);
      }

      await knex.migrate.up({ directory, name: MIGRATION });
      expect((await store.get(active.id))!.target).toEqual({
        ...active.target,
        entityRef: 'component:default/demo-shop',
      });
      expect((await store.get(failed.id))!.target.entityRef).toBe(
        'component:default/cart',
      );
      expect((await store.get(succeeded.id))!.target).toEqual(succeeded.target);
    });
  },
);
