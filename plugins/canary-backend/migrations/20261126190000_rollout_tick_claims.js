/*
 * Replicas share the engine's work through claims on rollouts: each replica's tick pass claims the
 * active rollouts that no other pass holds, until a time after which a replica that died mid-pass
 * loses them to the next pass of another. The scheduler's global lock, used before, let one replica
 * tick at a time and freed a dead holder's lock only through its once-a-minute janitor.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('canary_rollouts', table => {
    table
      .string('tick_claim_token', 36)
      .nullable()
      .comment('The tick pass that holds the rollout');
    table
      .string('tick_claimed_until', 32)
      .nullable()
      .comment('When that claim runs out (ISO 8601, UTC)');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('canary_rollouts', table => {
    table.dropColumn('tick_claim_token');
    table.dropColumn('tick_claimed_until');
  });
};
