/*
 * A rollout's target names its entity (`target.entityRef`), so that providers can check that the
 * objects they change carry the entity's ownership mark. Rollouts launched before hold it only in
 * the `entity_ref` column: it is copied into their state. Succeeded rollouts are left as they are,
 * as they can never act again.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const rows = await knex('canary_rollouts')
    .whereNot('phase', 'Succeeded')
    .select('id', 'entity_ref', 'state');
  for (const row of rows) {
    const state = JSON.parse(row.state);
    if (state.target.entityRef) continue;
    state.target.entityRef = row.entity_ref;
    await knex('canary_rollouts')
      .where({ id: row.id })
      .update({ state: JSON.stringify(state) });
  }
};

/**
 * The copied ref is harmless to older code, which ignores it.
 */
exports.down = async function down() {};
