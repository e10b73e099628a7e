/*
 * The rollout list pages newest first (created_at, then id), often of one entity, in some phases,
 * or both. Indexes in that order let a page read just its own rows. With the single-column
 * indexes they replace, the database sorted every rollout of the entity or phase, state included,
 * for each page, and for an entity and a phase it scanned the whole phase: costs that grew with
 * the history (bench/api.ts in this package measures them).
 */

const INDEXES = {
  canary_rollouts_entity_page: ['entity_ref', 'created_at', 'id'],
  canary_rollouts_phase_page: ['phase', 'created_at', 'id'],
  canary_rollouts_entity_phase_page: [
    'entity_ref',
    'phase',
    'created_at',
    'id',
  ],
};

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('canary_rollouts', table => {
    for (const [name, columns] of Object.entries(INDEXES)) {
      table.index(columns, name);
    }
    table.dropIndex('entity_ref');
    table.dropIndex('phase');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('canary_rollouts', table => {
    table.index('entity_ref');
    table.index('phase');
    for (const [name, columns] of Object.entries(INDEXES)) {
      table.dropIndex(columns, name);
    }
  });
};
