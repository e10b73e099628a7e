/*
 * Tamper evidence for the audit trail: each event stores the hash of the previous event of its
 * rollout and its own hash over its stored columns. Events written before this migration have no
 * hash; a chain may start after them but never have a gap.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('canary_audit_events', table => {
    table.string('prev_hash', 64).nullable();
    table.string('hash', 64).nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('canary_audit_events', table => {
    table.dropColumn('prev_hash');
    table.dropColumn('hash');
  });
};
