import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/testBackend';
import { RolloutStore } from './RolloutStore';

/*
 * The migration that gives the rollout list its page-ordered indexes (20261126180000), on SQLite
 * and PostgreSQL: up from the schema before it, down, and up again.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();
const directory = resolvePackagePath(
  '@canary-release/backstage-plugin-canary-backend',
  'migrations',
);
const MIGRATION = '20261126180000_rollout_list_indexes.js';
const PAGE_INDEXES = [
  'canary_rollouts_entity_page',
  'canary_rollouts_entity_phase_page',
  'canary_rollouts_phase_page',
];
const REPLACED = [
  'canary_rollouts_entity_ref_index',
  'canary_rollouts_phase_index',
];

async function indexNames(knex: Knex): Promise<string[]> {
  const names: string[] =
    knex.client.config.client === 'pg'
      ? (
          await knex('pg_indexes')
            .where({ tablename: 'canary_rollouts' })
            .select('indexname')
        ).map((r: { indexname: string }) => r.indexname)
      : (await knex.raw(`PRAGMA index_list('canary_rollouts')`)).map(
          (r: { name: string }) => r.name,
        );
  return names.filter(n => [...PAGE_INDEXES, ...REPLACED].includes(n)).sort();
}

describe('the test script provides PostgreSQL', () => {
  it('runs the migration tests on PostgreSQL in CI', () => {
    expect(hasRequiredDatabases()).toBe(true);
  });
});

describe.each(databases.eachSupportedId())(
  'rollout list indexes on %p',
  databaseId => {
    it('replaces the single-column indexes, and goes down and up again', async () => {
      const knex = await databases.init(databaseId);
      await RolloutStore.create(mockServices.database({ knex }));
      expect(await indexNames(knex)).toEqual(PAGE_INDEXES);

      await knex.migrate.down({ directory, name: MIGRATION });
      expect(await indexNames(knex)).toEqual(REPLACED);

      await knex.migrate.up({ directory, name: MIGRATION });
      expect(await indexNames(knex)).toEqual(PAGE_INDEXES);
    });
  },
);
