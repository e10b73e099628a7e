import request from 'supertest';
import {
  createTestDatabases,
  SHOP,
  startBackend,
} from '../__testUtils__/testBackend';

/**
 * Tamper evidence through the route: someone with database access edits or deletes a stored audit
 * event, and GET /audit/verify names the first broken link.
 */

const { databases } = createTestDatabases();

it('reports an audit row altered directly in the database', async () => {
  const knex = await databases.init('SQLITE_3');
  const { server, tick } = await startBackend({ knex });
  const launched = await request(server)
    .post('/api/canary/rollouts')
    .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
    .expect(201);
  const id = launched.body.id;
  // Start, then ticks until the router confirms the first stage's weights.
  for (let i = 0; i < 4; i++) await tick();
  const intact = await request(server)
    .get(`/api/canary/audit/verify?rolloutId=${id}`)
    .expect(200);
  expect(intact.body.ok).toBe(true);
  expect(intact.body.checked).toBeGreaterThanOrEqual(3);

  const rows = await knex('canary_audit_events')
    .where({ rollout_id: id })
    .orderBy('id');
  await knex('canary_audit_events')
    .where({ id: rows[1].id })
    .update({ actor: 'user:default/someone-else' });

  const altered = await request(server)
    .get('/api/canary/audit/verify')
    .expect(200);
  expect(altered.body).toMatchObject({
    ok: false,
    firstBroken: {
      id: Number(rows[1].id),
      rolloutId: id,
      problem: expect.stringContaining('content does not match'),
    },
  });

  // Put it back, then delete it: the event after it no longer links.
  await knex('canary_audit_events')
    .where({ id: rows[1].id })
    .update({ actor: rows[1].actor });
  await knex('canary_audit_events').where({ id: rows[1].id }).delete();
  const removed = await request(server)
    .get(`/api/canary/audit/verify?rolloutId=${id}`)
    .expect(200);
  expect(removed.body).toMatchObject({
    ok: false,
    firstBroken: {
      id: Number(rows[2].id),
      problem: expect.stringContaining('previous-hash does not match'),
    },
  });
});
