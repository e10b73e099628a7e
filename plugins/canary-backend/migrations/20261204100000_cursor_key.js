/*
 * The key that seals page cursors (store/cursors.ts): a cursor holds the sort value and id of the
 * last row a page read, which may be a row the caller is not allowed to see. Generated once by the
 * first backend that needs it and shared by every replica, so cursors survive restarts.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('canary_keys', table => {
    table.comment('Keys the plugin generates for itself, by purpose');
    table.string('purpose', 64).primary();
    table.text('key').notNullable().comment('base64');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('canary_keys');
};
