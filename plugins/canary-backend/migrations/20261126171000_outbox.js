/*
 * The outbox: notifications and webhooks a rollout change owes, written in the same transaction as
 * the change and delivered by the dispatcher task. A row is claimed with a lease (so two replicas
 * never deliver it at once, and a crashed replica's claim runs out), and ends delivered or failed.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('canary_outbox', table => {
    table.comment(
      'Deliveries owed by rollout changes; the outcome goes to the audit trail',
    );
    table.bigIncrements('id').primary();
    table
      .string('key', 255)
      .notNullable()
      .unique()
      .comment('The Idempotency-Key receivers get');
    table
      .string('rollout_id', 36)
      .notNullable()
      .references('id')
      .inTable('canary_rollouts')
      .onDelete('CASCADE')
      .index();
    table.string('kind', 16).notNullable();
    table.text('entry').notNullable().comment('The whole delivery as JSON');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, delivered or failed');
    table.string('created_at', 32).notNullable();
    table.string('claim_token', 36).nullable();
    table.string('claimed_until', 32).nullable();
    table.integer('claims').notNullable().defaultTo(0);
    table
      .text('outcome')
      .nullable()
      .comment('Status, attempts, duration, error as JSON');
    table.string('finished_at', 32).nullable();
    table.index(['status', 'id']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('canary_outbox');
};
