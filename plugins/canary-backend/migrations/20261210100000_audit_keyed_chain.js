/*
 * The audit trail's keyed chain (store/auditTrail.ts): one sequence over every event, each event
 * sealed with an HMAC (keyed with `canary.audit.secret`) over its place, its predecessor's MAC and
 * its columns. `canary_audit_chain` holds the sealed head (the last event's sequence number and
 * MAC), updated in the transaction of every append, and the last verified event. Events written
 * before this migration keep their per-rollout sha256 hashes and get a sequence number when the
 * first backend with the key starts (the adoption); the head row starts unsealed until then.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('canary_audit_events', table => {
    table.bigInteger('seq').nullable().unique();
    table.string('mac', 64).nullable();
  });

  await knex.schema.createTable('canary_audit_chain', table => {
    table.comment(
      'Pointers into the audit chain: `head` (the last event) and `verified` (the last verified one)',
    );
    table.string('name', 16).primary();
    table.bigInteger('seq').notNullable();
    table.string('hash', 64).notNullable();
    table.string('seal', 64).nullable().comment('HMAC over name, seq and hash');
  });
  await knex('canary_audit_chain').insert([
    { name: 'head', seq: 0, hash: '', seal: null },
    { name: 'verified', seq: 0, hash: '', seal: null },
  ]);

  await knex.schema.createTable('canary_audit_checkpoints', table => {
    table.comment(
      'The start of the keyed chain and every head sent to the auditor service',
    );
    table.increments('id').primary();
    table.string('kind', 16).notNullable();
    table.bigInteger('seq').notNullable();
    table.string('hash', 64).notNullable();
    table.string('at', 32).notNullable();
    table.text('details').notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('canary_audit_checkpoints');
  await knex.schema.dropTable('canary_audit_chain');
  await knex.schema.alterTable('canary_audit_events', table => {
    table.dropUnique(['seq']);
    table.dropColumn('seq');
    table.dropColumn('mac');
  });
};
