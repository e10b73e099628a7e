import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabases } from '../__testUtils__/testBackend';
import { makeRollout, at } from '../engine/testRollout';
import type { AuditEventDraft, RolloutRecord } from '../engine/types';
import {
  AuditKey,
  legacyHash,
  StoredAuditColumns,
  StoredAuditRow,
} from './auditChain';
import { checkpointAudit } from './auditSetup';
import { RolloutStore } from './RolloutStore';

/**
 * The attacks on the audit trail, by someone who can write to the database but does not hold
 * `canary.audit.secret`, each made directly in the database and found by the store's verification.
 */

const { databases } = createTestDatabases();
const SECRET = 'a test secret of at least 32 characters, for the chain';
const KEY = new AuditKey(SECRET);

let idCounter = 0;
function newRollout(): RolloutRecord {
  idCounter += 1;
  const id = `00000000-0000-4000-8000-${String(idCounter).padStart(12, '0')}`;
  return makeRollout({ id, target: { ...makeRollout().target, name: id } });
}

function event(
  rollout: RolloutRecord,
  action: string,
  atMs = 0,
): AuditEventDraft {
  return {
    rolloutId: rollout.id,
    entityRef: rollout.entityRef,
    at: at(atMs).toISOString(),
    actor: 'engine',
    action,
    phaseAfter: rollout.phase,
    stageIndex: rollout.stageIndex,
    weightsAfter: rollout.weights,
    reason: `${action} happened`,
    details: { n: 1 },
  };
}

/** Three rollouts of three events each, interleaved as real rollouts are: 9 events. */
async function seed(store: RolloutStore): Promise<RolloutRecord[]> {
  const rollouts = [newRollout(), newRollout(), newRollout()];
  for (const r of rollouts) await store.insert(r, [event(r, 'launch')]);
  for (const r of rollouts) {
    await store.save({ ...r, revision: 2 }, [event(r, 'start', 1000)]);
  }
  for (const r of rollouts) {
    await store.save({ ...r, revision: 3 }, [event(r, 'advance', 2000)]);
  }
  return rollouts;
}

async function rowsInOrder(knex: Knex): Promise<StoredAuditRow[]> {
  return knex('canary_audit_events').orderBy('seq');
}

/**
 * What an attacker without the key can do after an edit: recompute the MAC of every event from
 * `fromSeq` on with `macOf`, and point the head at the last one.
 */
async function reseal(
  knex: Knex,
  fromSeq: number,
  macOf: (seq: number, previous: string, row: StoredAuditColumns) => string,
) {
  const rows = await rowsInOrder(knex);
  let previous = rows.find(r => Number(r.seq) === fromSeq - 1)?.mac ?? '';
  for (const row of rows.filter(r => Number(r.seq) >= fromSeq)) {
    const mac = macOf(Number(row.seq), previous, row);
    await knex('canary_audit_events').where({ id: row.id }).update({ mac });
    previous = mac;
  }
  await knex('canary_audit_chain')
    .where({ name: 'head' })
    .update({ hash: previous });
}

const sha256 = (seq: number, previous: string, row: StoredAuditColumns) =>
  createHash('sha256')
    .update(JSON.stringify([seq, previous, row]))
    .digest('hex');

describe.each(databases.eachSupportedId())(
  'the audit chain on %p',
  databaseId => {
    let knex: Knex;
    let store: RolloutStore;
    let rollouts: RolloutRecord[];

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await RolloutStore.create(mockServices.database({ knex }), KEY);
      rollouts = await seed(store);
    });

    it('verifies an untouched trail, then only what was appended since', async () => {
      expect(await store.verifyAudit()).toMatchObject({
        ok: true,
        complete: true,
        checked: 9,
        verifiedThrough: { seq: 9 },
        head: { seq: 9 },
      });
      await store.appendEvents([event(rollouts[0], 'note', 3000)]);
      expect(await store.verifyAudit()).toMatchObject({
        ok: true,
        complete: true,
        checked: 1,
        head: { seq: 10 },
      });
      expect(await store.verifyAudit({ full: true })).toMatchObject({
        ok: true,
        complete: true,
        checked: 10,
      });
      expect(
        await store.verifyAudit({ rolloutId: rollouts[1].id }),
      ).toMatchObject({ ok: true, complete: true, checked: 3 });
    });

    it.each([
      ['unkeyed sha256', sha256],
      [
        'a wrong key',
        (seq: number, previous: string, row: StoredAuditColumns) =>
          new AuditKey(
            'not the secret, but just as long as the real one',
          ).eventMac(seq, previous, row),
      ],
    ])('finds an event edited and resealed with %s', async (_, macOf) => {
      const victim = (await rowsInOrder(knex))[4];
      await knex('canary_audit_events')
        .where({ id: victim.id })
        .update({ reason: 'nothing to see here' });
      await reseal(knex, 5, macOf);
      for (const options of [{}, { full: true }]) {
        expect(await store.verifyAudit(options)).toMatchObject({
          ok: false,
          complete: false,
          verifiedThrough: { seq: 4 },
          firstBroken: {
            id: Number(victim.id),
            seq: 5,
            rolloutId: victim.rollout_id,
            problem: expect.stringContaining('does not match its MAC'),
          },
        });
      }
      expect(
        await store.verifyAudit({ rolloutId: victim.rollout_id }),
      ).toMatchObject({ ok: false, firstBroken: { seq: 5 } });
    });

    it('finds the tail removed, also when the head is moved back to the new last event', async () => {
      await knex('canary_audit_events').where('seq', '>', 7).delete();
      expect(await store.verifyAudit({ full: true })).toMatchObject({
        ok: false,
        verifiedThrough: { seq: 7 },
        firstBroken: {
          seq: 8,
          problem: expect.stringContaining(
            'events 8 to 9 of the sequence are missing (removed): the end of the trail was removed',
          ),
        },
      });
      const last = (await rowsInOrder(knex)).pop()!;
      await knex('canary_audit_chain')
        .where({ name: 'head' })
        .update({ seq: 7, hash: last.mac });
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        firstBroken: {
          problem: expect.stringContaining('the head'),
        },
      });
      // Appending goes on but does not launder the head: it stays unsealed.
      await store.appendEvents([event(rollouts[0], 'note', 3000)]);
      expect(
        (await store.verifyAudit({ full: true })).firstBroken?.problem,
      ).toContain('does not match its seal');
    });

    it("finds one rollout's last events, or its whole trail, removed", async () => {
      const [first, second] = rollouts;
      await knex('canary_audit_events')
        .where({ rollout_id: first.id, action: 'advance' })
        .delete();
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        firstBroken: {
          seq: 8,
          problem: 'event 7 of the sequence is missing (removed) before it',
        },
      });

      await knex('canary_audit_events')
        .where({ rollout_id: second.id })
        .delete();
      expect(await store.verifyAudit({ full: true })).toMatchObject({
        ok: false,
        firstBroken: {
          seq: 3,
          problem: 'event 2 of the sequence is missing (removed) before it',
        },
      });
      expect(await store.verifyAudit({ rolloutId: second.id })).toMatchObject({
        ok: false,
        firstBroken: {
          rolloutId: second.id,
          problem: 'the rollout has no audit events: its trail was removed',
        },
      });
    });

    it('finds an event taken out of the chain (NULL sequence, MAC and hashes) and edited', async () => {
      const victim = (await rowsInOrder(knex))[8];
      await knex('canary_audit_events').where({ id: victim.id }).update({
        seq: null,
        mac: null,
        hash: null,
        prev_hash: null,
        reason: 'edited',
      });
      expect(await store.verifyAudit({ full: true })).toMatchObject({
        ok: false,
        firstBroken: {
          id: Number(victim.id),
          problem: expect.stringContaining('outside the chain'),
        },
      });
      expect(
        await store.verifyAudit({ rolloutId: victim.rollout_id }),
      ).toMatchObject({
        ok: false,
        firstBroken: { problem: expect.stringContaining('outside the chain') },
      });

      // With its sequence number kept, a missing MAC is named as such.
      await knex('canary_audit_events')
        .where({ id: victim.id })
        .update({ seq: 9, reason: victim.reason });
      expect(
        (await store.verifyAudit({ full: true })).firstBroken,
      ).toMatchObject({
        seq: 9,
        problem: 'it has no MAC',
      });
    });

    it('starts where it last verified, and finds that event gone or its record forged', async () => {
      expect((await store.verifyAudit()).verifiedThrough.seq).toBe(9);
      await knex('canary_audit_chain')
        .where({ name: 'verified' })
        .update({ seq: 8 });
      expect((await store.verifyAudit()).firstBroken?.problem).toContain(
        'record of the last verified event does not match its seal',
      );
      await knex('canary_audit_chain')
        .where({ name: 'verified' })
        .update({ seq: 9 });
      expect((await store.verifyAudit()).ok).toBe(true);
      await knex('canary_audit_events').where({ seq: 9 }).delete();
      expect((await store.verifyAudit()).firstBroken).toMatchObject({
        seq: 9,
        problem: 'event 9 of the sequence is missing (removed)',
      });
    });

    it('checks a bounded number of events per call and says how far it got', async () => {
      const incremental = [];
      for (let call = 0; call < 3; call++) {
        incremental.push(await store.verifyAudit({ limit: 4 }));
      }
      expect(
        incremental.map(r => [
          r.ok,
          r.complete,
          r.checked,
          r.verifiedThrough.seq,
        ]),
      ).toEqual([
        [true, false, 4, 4],
        [true, false, 4, 8],
        [true, true, 1, 9],
      ]);

      const full = [await store.verifyAudit({ full: true, limit: 4 })];
      while (full[full.length - 1].next !== undefined) {
        full.push(
          await store.verifyAudit({
            full: true,
            after: full[full.length - 1].next,
            limit: 4,
          }),
        );
      }
      expect(full.map(r => [r.checked, r.complete, r.next])).toEqual([
        [4, false, 4],
        [4, false, 8],
        [1, true, undefined],
      ]);

      const rolloutId = rollouts[2].id;
      const first = await store.verifyAudit({ rolloutId, limit: 2 });
      expect(first).toMatchObject({ ok: true, complete: false, checked: 2 });
      expect(
        await store.verifyAudit({ rolloutId, after: first.next, limit: 2 }),
      ).toMatchObject({
        ok: true,
        complete: true,
        checked: 1,
        verifiedThrough: { seq: 9 },
      });
    });

    it('sends the head to the auditor, once per new head, and records it', async () => {
      const auditor = mockServices.auditor.mock();
      const now = new Date('2026-12-10T10:00:00Z');
      expect(await checkpointAudit(store.audit, auditor, now)).toMatchObject({
        seq: 9,
      });
      const head = await store.audit.head();
      expect(auditor.createEvent).toHaveBeenCalledTimes(1);
      expect(auditor.createEvent).toHaveBeenCalledWith({
        eventId: 'audit-checkpoint',
        severityLevel: 'low',
        meta: { seq: 9, hash: head.hash, sealed: true },
      });
      expect(await checkpointAudit(store.audit, auditor, now)).toBeUndefined();
      await store.appendEvents([event(rollouts[0], 'note', 3000)]);
      expect(await checkpointAudit(store.audit, auditor, now)).toMatchObject({
        seq: 10,
      });
      expect(
        await knex('canary_audit_checkpoints')
          .where({ kind: 'checkpoint' })
          .orderBy('id')
          .select('seq', 'at'),
      ).toEqual([
        { seq: expect.anything(), at: now.toISOString() },
        { seq: expect.anything(), at: now.toISOString() },
      ]);
      expect(await store.audit.lastCheckpoint()).toEqual({
        seq: 10,
        hash: (await store.audit.head()).hash,
      });
    });
  },
);

describe.each(databases.eachSupportedId())(
  'concurrent appends on %p',
  databaseId => {
    it('two writer processes on one database extend one unbroken chain', async () => {
      const { knex, config, close } = await sharedDatabase(databaseId);
      try {
        const store = await RolloutStore.create(
          mockServices.database({ knex }),
          KEY,
        );
        const [ra, rb] = [newRollout(), newRollout()];
        await store.insert(ra, [event(ra, 'launch')]);
        await store.insert(rb, [event(rb, 'launch')]);
        await appendFromTwoProcesses(config, [ra.id, rb.id], 20);
        expect(await store.verifyAudit({ full: true })).toMatchObject({
          ok: true,
          complete: true,
          checked: 82,
          head: { seq: 82 },
        });
        const rows = await rowsInOrder(knex);
        expect(rows.map(r => Number(r.seq))).toEqual(
          Array.from({ length: 82 }, (_, i) => i + 1),
        );
        // Every append of both writers is in it.
        const count = (id: string) =>
          rows.filter(r => r.rollout_id === id).length;
        expect([count(ra.id), count(rb.id)]).toEqual([41, 41]);
      } finally {
        await close();
      }
    }, 120_000);
  },
);

/** The database as a second process opens it: a SQLite file, or the test's PostgreSQL database. */
async function sharedDatabase(databaseId: TestDatabaseId) {
  if (databaseId === 'SQLITE_3') {
    const directory = mkdtempSync(join(tmpdir(), 'canary-audit-'));
    const config = {
      client: 'better-sqlite3',
      connection: { filename: join(directory, 'canary.sqlite') },
      useNullAsDefault: true,
    };
    const knex = knexFactory(config);
    return {
      knex,
      config,
      close: async () => {
        await knex.destroy();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  }
  const knex = await databases.init(databaseId);
  return { knex, config: knex.client.config, close: async () => {} };
}

/**
 * Two processes (src/__testUtils__/auditAppender.ts), as two backend replicas, each appending
 * `pairs` pairs of events to its rollout: both start appending once both are ready.
 */
async function appendFromTwoProcesses(
  config: object,
  rolloutIds: string[],
  pairs: number,
) {
  const children = rolloutIds.map(id =>
    spawn(
      process.execPath,
      [
        '-r',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        join(__dirname, '../__testUtils__/auditAppender.ts'),
        JSON.stringify(config),
        id,
        String(pairs),
      ],
      { env: { ...process.env, CANARY_TEST_AUDIT_SECRET: SECRET } },
    ),
  );
  const outputs = children.map(() => ({ text: '' }));
  const ready = children.map(
    (child, i) =>
      new Promise<void>(resolve => {
        const collect = (data: Buffer) => {
          outputs[i].text += data;
          if (outputs[i].text.includes('ready')) resolve();
        };
        child.stdout!.on('data', collect);
        child.stderr!.on('data', collect);
      }),
  );
  const exits = children.map(
    child => new Promise<number | null>(resolve => child.on('exit', resolve)),
  );
  await Promise.race([Promise.all(ready), Promise.all(exits)]);
  children.forEach(child => child.stdin!.end('go\n'));
  const codes = await Promise.all(exits);
  if (codes.some(code => code !== 0)) {
    throw new Error(`A writer failed: ${outputs.map(o => o.text).join('\n')}`);
  }
}

describe.each(databases.eachSupportedId())(
  'events written by earlier versions on %p',
  databaseId => {
    /** The database as the previous version left it: its migrations, and per-rollout sha256 chains. */
    async function previousVersion() {
      const knex = await databases.init(databaseId);
      const directory = resolvePackagePath(
        '@canary-release/backstage-plugin-canary-backend',
        'migrations',
      );
      const [, pending] = await knex.migrate.list({ directory });
      const ours = '20261210100000_audit_keyed_chain.js';
      for (const migration of pending) {
        if (migration.file === ours) break;
        await knex.migrate.up({ directory, name: migration.file });
      }
      const [a, b] = [newRollout(), newRollout()];
      const last = new Map<string, string>();
      const write = async (
        r: RolloutRecord,
        action: string,
        hashed: boolean,
      ) => {
        const columns: StoredAuditColumns = {
          rollout_id: r.id,
          entity_ref: r.entityRef,
          at: at(0).toISOString(),
          actor: 'engine',
          action,
          phase_before: null,
          phase_after: r.phase,
          stage_index: r.stageIndex,
          weights_before: null,
          weights_after: JSON.stringify(r.weights),
          reason: action,
          details: '{}',
        };
        const previous = last.get(r.id) ?? '';
        const hash = hashed ? legacyHash(previous, columns) : null;
        if (hash) last.set(r.id, hash);
        await knex('canary_audit_events').insert({
          ...columns,
          prev_hash: hashed ? previous : null,
          hash,
        });
      };
      // `a` began before the hash chains existed: its first event has no hash.
      await write(a, 'launch', false);
      await write(b, 'launch', true);
      await write(a, 'start', true);
      await write(b, 'start', true);
      await write(a, 'advance', true);
      return knex;
    }

    it('seals them into the keyed chain once, after checking their sha256 chains', async () => {
      const knex = await previousVersion();
      const store = await RolloutStore.create(
        mockServices.database({ knex }),
        KEY,
      );
      expect(store.auditStarted).toEqual({
        adopted: 5,
        legacyBroken: undefined,
        head: { seq: 5, hash: expect.any(String) },
      });
      expect(
        await knex('canary_audit_checkpoints').where({ kind: 'start' }),
      ).toEqual([
        expect.objectContaining({
          details: JSON.stringify({ adopted: 5, legacyBroken: null }),
        }),
      ]);
      await store.appendEvents([event({ ...newRollout() }, 'launch')]);
      expect(await store.verifyAudit()).toMatchObject({
        ok: true,
        complete: true,
        checked: 6,
      });

      // Another start (a restart, a second replica) adopts nothing again.
      const again = await RolloutStore.create(
        mockServices.database({ knex }),
        KEY,
      );
      expect(again.auditStarted).toBeUndefined();
      expect(
        await knex('canary_audit_checkpoints').where({ kind: 'start' }),
      ).toHaveLength(1);

      // Resetting the head does not bring the adoption back: nothing is resealed.
      await knex('canary_audit_chain')
        .where({ name: 'head' })
        .update({ seq: 0, hash: '', seal: null });
      const reset = await RolloutStore.create(
        mockServices.database({ knex }),
        KEY,
      );
      expect(reset.auditStarted).toBeUndefined();
      await reset.appendEvents([event(newRollout(), 'launch')]);
      expect(
        (await reset.verifyAudit({ full: true })).firstBroken?.problem,
      ).toContain('the head');
    });

    it('records a break of their sha256 chains found before the adoption', async () => {
      const knex = await previousVersion();
      const edited = await knex('canary_audit_events')
        .where({ action: 'start' })
        .orderBy('id')
        .first();
      await knex('canary_audit_events')
        .where({ id: edited.id })
        .update({ reason: 'edited before the upgrade' });
      const store = await RolloutStore.create(
        mockServices.database({ knex }),
        KEY,
      );
      expect(store.auditStarted?.legacyBroken).toEqual({
        id: Number(edited.id),
        rolloutId: edited.rollout_id,
        problem: 'its content does not match its hash (the event was changed)',
      });
      expect(
        JSON.parse(
          (
            await knex('canary_audit_checkpoints')
              .where({ kind: 'start' })
              .first()
          ).details,
        ).legacyBroken,
      ).toMatchObject({ id: Number(edited.id) });
    });
  },
);
