import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { canaryAuditVerifyPermission } from '@canary-release/backstage-plugin-canary-common';
import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import request from 'supertest';
import {
  createTestDatabases,
  SHOP,
  startBackend,
} from '../__testUtils__/testBackend';

/**
 * Tamper evidence through the route: someone with database access edits, reseals or deletes
 * stored audit events, and GET /audit/verify names the first broken link; only holders of
 * canary.audit.verify may verify the whole chain; the chain's head goes to the auditor service.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs the tamper tests on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

const AUDITOR = mockCredentials.user.header('user:default/auditor');
const READER = mockCredentials.user.header('user:default/reader');

/** Everyone reads every rollout; only the auditor holds canary.audit.verify. */
const policy = mockServices.permissions.mock({
  authorize: (async (requests, { credentials }) =>
    requests.map(r => ({
      result:
        r.permission.name !== canaryAuditVerifyPermission.name ||
        (credentials.principal as { userEntityRef?: string }).userEntityRef ===
          'user:default/auditor'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    }))) as PermissionsService['authorize'],
});

describe.each(databases.eachSupportedId())(
  '/audit/verify on %p',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let server: any;
    let triggerTask: (id: string) => Promise<void>;
    let rolloutId: string;
    const auditor = mockServices.auditor.mock();
    const verify = (query = '', auth = AUDITOR) =>
      request(server)
        .get(`/api/canary/audit/verify${query}`)
        .set('Authorization', auth);

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      let tick: () => Promise<void>;
      ({ server, tick, triggerTask } = await startBackend({
        knex,
        permissions: policy.factory,
        features: [auditor.factory],
      }));
      const launched = await request(server)
        .post('/api/canary/rollouts')
        .set('Authorization', AUDITOR)
        .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
        .expect(201);
      rolloutId = launched.body.id;
      // Start, then ticks until the router confirms the first stage's weights.
      for (let i = 0; i < 4; i++) await tick();
    });

    it('refuses the whole chain without canary.audit.verify, and lets a reader verify a rollout', async () => {
      const refused = await verify('', READER).expect(403);
      expect(refused.body.error.message).toContain('canary.audit.verify');
      await verify('?full=true', READER).expect(403);
      const own = await verify(`?rolloutId=${rolloutId}`, READER).expect(200);
      expect(own.body).toMatchObject({ ok: true, complete: true });
      expect(own.body.checked).toBeGreaterThanOrEqual(3);
    });

    it('refuses inconsistent paging with a 400 that says why', async () => {
      const after = await verify('?after=3').expect(400);
      expect(after.body.error.message).toContain('after');
      await verify(`?rolloutId=${rolloutId}&full=true`).expect(400);
      await verify('?limit=0').expect(400);
      await verify('?limit=10001').expect(400);
    });

    it('reaches the head in bounded pages', async () => {
      const head = (await verify('?full=true').expect(200)).body.head.seq;
      expect(head).toBeGreaterThanOrEqual(3);
      let checked = 0;
      let page = (await verify('?full=true&limit=2').expect(200)).body;
      checked += page.checked;
      while (!page.complete) {
        expect(page).toMatchObject({ ok: true, checked: 2 });
        page = (
          await verify(`?full=true&limit=2&after=${page.next}`).expect(200)
        ).body;
        checked += page.checked;
      }
      expect(checked).toBe(head);
      expect(page.verifiedThrough.seq).toBe(head);
    });

    it('sends the head to the auditor when the checkpoint task runs', async () => {
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: 'audit-chain-start' }),
      );
      await triggerTask('canary-audit-checkpoint');
      const head = (await verify('?full=true').expect(200)).body.head;
      expect(auditor.createEvent).toHaveBeenLastCalledWith({
        eventId: 'audit-checkpoint',
        severityLevel: 'low',
        meta: { seq: head.seq, hash: head.hash, sealed: true },
      });
    });

    it('names an event edited and resealed without the key, then the tail removed', async () => {
      const rows = await knex('canary_audit_events').orderBy('seq');
      await knex('canary_audit_events')
        .where({ id: rows[1].id })
        .update({ actor: 'user:default/someone-else' });
      // Resealed from there on with unkeyed sha256, the head moved along.
      let previous = rows[0].mac;
      for (const row of rows.slice(1)) {
        const mac = createHash('sha256')
          .update(`${previous}${row.id}`)
          .digest('hex');
        await knex('canary_audit_events').where({ id: row.id }).update({ mac });
        previous = mac;
      }
      await knex('canary_audit_chain')
        .where({ name: 'head' })
        .update({ hash: previous });
      for (const query of ['', '?full=true']) {
        expect((await verify(query).expect(200)).body).toMatchObject({
          ok: false,
          firstBroken: {
            id: Number(rows[1].id),
            seq: 2,
            rolloutId,
            problem: expect.stringContaining('does not match its MAC'),
          },
        });
      }
      expect(
        (await verify(`?rolloutId=${rolloutId}`, READER).expect(200)).body,
      ).toMatchObject({ ok: false, firstBroken: { seq: 2 } });

      // Put back as it was, then remove the last event.
      for (const row of rows) {
        await knex('canary_audit_events')
          .where({ id: row.id })
          .update({ actor: row.actor, mac: row.mac });
      }
      await knex('canary_audit_chain')
        .where({ name: 'head' })
        .update({ hash: rows[rows.length - 1].mac });
      expect((await verify('?full=true').expect(200)).body.ok).toBe(true);
      await knex('canary_audit_events')
        .where({ id: rows[rows.length - 1].id })
        .delete();
      expect((await verify('?full=true').expect(200)).body).toMatchObject({
        ok: false,
        firstBroken: {
          problem: expect.stringContaining('the end of the trail was removed'),
        },
      });
    });
  },
);
