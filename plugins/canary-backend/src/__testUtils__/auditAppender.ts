/**
 * A second writer for the concurrency test of the audit chain (store/auditTrail.test.ts), in a
 * process of its own as a second backend replica is: opens the database given as JSON knex config
 * in argv[2], says `ready`, waits for `go` on stdin, then appends argv[4] pairs of events to
 * rollout argv[3]'s trail, each pair in its own transaction, keyed with CANARY_TEST_AUDIT_SECRET.
 */
import knexFactory from 'knex';
import { AuditKey } from '../store/auditChain';
import { RolloutStore } from '../store/RolloutStore';

async function main() {
  const [config, rolloutId, pairs] = process.argv.slice(2);
  const knex = knexFactory(JSON.parse(config));
  const store = new RolloutStore(
    knex,
    new AuditKey(process.env.CANARY_TEST_AUDIT_SECRET!),
  );
  process.stdout.write('ready\n');
  await new Promise(resolve => process.stdin.once('data', resolve));
  process.stdin.destroy();
  const event = (action: string) => ({
    rolloutId,
    entityRef: 'component:default/shop',
    at: new Date().toISOString(),
    actor: 'engine',
    action,
    phaseAfter: 'Progressing' as const,
    stageIndex: 0,
    weightsAfter: { stable: 90, canary: 10 },
    reason: `${action} from process ${process.pid}`,
    details: {},
  });
  for (let i = 0; i < Number(pairs); i++) {
    await store.appendEvents([event(`note-${i}`), event(`note-${i}+`)]);
  }
  await knex.destroy();
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
