/*
 * The rollout list across the catalog filters by the entity's owner and system, taken from the
 * catalog at launch, and sorts by update time. Rows written before this migration keep NULL owner
 * and system: their JSON state never held them, so there is nothing to backfill from.
 *
 * The retention task deletes measurements and verdicts by `taken_at` alone, which the existing
 * (rollout_id, taken_at) indexes cannot serve.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('canary_rollouts', table => {
    table.string('owner_ref', 255).nullable().index();
    table.string('system_ref', 255).nullable().index();
    table.index('updated_at');
  });
  await knex.schema.alterTable('canary_measurements', table => {
    table.index('taken_at');
  });
  await knex.schema.alterTable('canary_verdicts', table => {
    table.index('taken_at');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('canary_verdicts', table => {
    table.dropIndex('taken_at');
  });
  await knex.schema.alterTable('canary_measurements', table => {
    table.dropIndex('taken_at');
  });
  await knex.schema.alterTable('canary_rollouts', table => {
    table.dropIndex('updated_at');
    table.dropIndex('owner_ref');
    table.dropIndex('system_ref');
    table.dropColumn('owner_ref');
    table.dropColumn('system_ref');
  });
};
