/*
 * The canary store: rollouts (a row per rollout, its full state as JSON beside the columns that
 * are queried), one measurement row per look and arm, one verdict row per look and rule, and the
 * append-only audit trail.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('canary_rollouts', table => {
    table.comment('Canary rollouts; `state` holds the full rollout as JSON');
    table.string('id', 36).primary();
    table.string('entity_ref', 255).notNullable().index();
    table.string('phase', 32).notNullable().index();
    // The target while the rollout is active, NULL once it is final: the unique index allows one
    // active rollout per target, also across backend replicas.
    table.string('active_target', 512).nullable().unique();
    table.integer('revision').notNullable();
    table.string('created_at', 32).notNullable().index();
    table.string('updated_at', 32).notNullable();
    table.text('state').notNullable();
  });

  await knex.schema.createTable('canary_measurements', table => {
    table.comment('What the metrics provider reported, per look and arm');
    table.bigIncrements('id').primary();
    table
      .string('rollout_id', 36)
      .notNullable()
      .references('id')
      .inTable('canary_rollouts')
      .onDelete('CASCADE');
    table.integer('stage_index').notNullable();
    table.string('taken_at', 32).notNullable();
    table.string('window_start', 32).notNullable();
    table.string('window_end', 32).notNullable();
    table.string('arm', 16).notNullable();
    table.double('requests').nullable();
    table.double('errors').nullable();
    table.double('error_rate').nullable();
    table.double('latency_p50').nullable();
    table.double('latency_p95').nullable();
    table.double('latency_p99').nullable();
    table.text('sample').nullable().comment('The raw sample as JSON');
    table.text('error').nullable();
    table.index(['rollout_id', 'taken_at']);
  });

  await knex.schema.createTable('canary_verdicts', table => {
    table.comment('Every verdict of every look');
    table.bigIncrements('id').primary();
    table
      .string('rollout_id', 36)
      .notNullable()
      .references('id')
      .inTable('canary_rollouts')
      .onDelete('CASCADE');
    table.integer('stage_index').notNullable();
    table.string('taken_at', 32).notNullable();
    table.string('metric', 64).notNullable();
    table.string('rule', 128).notNullable();
    table.string('verdict', 16).notNullable();
    table.text('data').notNullable().comment('The whole verdict as JSON');
    table.index(['rollout_id', 'taken_at']);
  });

  await knex.schema.createTable('canary_audit_events', table => {
    table.comment('Append-only audit trail: the store has no update or delete');
    table.bigIncrements('id').primary();
    table.string('rollout_id', 36).notNullable().index();
    table.string('entity_ref', 255).notNullable().index();
    table.string('at', 32).notNullable().index();
    table.string('actor', 255).notNullable().index();
    table.string('action', 64).notNullable().index();
    table.string('phase_before', 32).nullable();
    table.string('phase_after', 32).notNullable();
    table.integer('stage_index').notNullable();
    table.text('weights_before').nullable();
    table.text('weights_after').notNullable();
    table.text('reason').notNullable();
    table.text('details').notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('canary_audit_events');
  await knex.schema.dropTable('canary_verdicts');
  await knex.schema.dropTable('canary_measurements');
  await knex.schema.dropTable('canary_rollouts');
};
