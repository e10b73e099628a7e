import { TestDatabaseId } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  createTestDatabases,
  SHOP,
  startBackend,
} from '../__testUtils__/testBackend';

/**
 * Input that a database cannot store, or that no schema should walk, is a 400 on SQLite and
 * PostgreSQL alike, and changes nothing: a NUL character (PostgreSQL's text refuses it, which
 * used to be a 500 there only), nesting thousands of levels deep, and problems too many or too
 * long to echo.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

/** JSON text of objects nested `depth` deep (too deep for JSON.stringify to write). */
const deeplyNested = (depth: number) =>
  `${'{"next":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;

describe.each(databases.eachSupportedId())(
  'input that cannot be stored, on %p',
  (databaseId: TestDatabaseId) => {
    let server: any;
    let knex: Awaited<ReturnType<typeof databases.init>>;
    let rolloutId: string;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ server } = await startBackend({ knex }));
      const launched = await request(server)
        .post('/api/canary/rollouts')
        .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
        .expect(201);
      rolloutId = launched.body.id;
    });

    const trail = async () =>
      (await knex('canary_audit_events').count({ n: '*' }))[0].n;

    it('refuses a NUL character in an action reason and stores nothing', async () => {
      const before = await trail();
      const res = await request(server)
        .post(`/api/canary/rollouts/${rolloutId}/actions`)
        .send({ action: 'pause', reason: 'because\u0000of this' })
        .expect(400);
      expect(res.body.error.message).toBe(
        'Invalid action: reason: must not contain the NUL character (\\u0000)',
      );
      expect(await trail()).toEqual(before);
      const rollout = await request(server)
        .get(`/api/canary/rollouts/${rolloutId}`)
        .expect(200);
      expect(rollout.body.phase).not.toBe('Paused');
    });

    it('refuses a NUL character anywhere in a launch body', async () => {
      const res = await request(server)
        .post('/api/canary/rollouts')
        .send({ entityRef: SHOP, canaryVersion: '1.2.0\u0000' })
        .expect(400);
      expect(res.body.error.message).toMatch(
        /^Invalid launch request: canaryVersion: must not contain the NUL/,
      );
    });

    it('refuses a NUL character in a query', async () => {
      const res = await request(server)
        .get('/api/canary/audit')
        .query({ actor: 'user:default/a\u0000b' })
        .expect(400);
      expect(res.body.error.message).toMatch(/actor: must not contain the NUL/);
    });

    it('refuses deep nesting before walking it', async () => {
      const body = `{"entityRef":"${SHOP}","canaryVersion":"1.2.0","strategy":${deeplyNested(
        10_000,
      )}}`;
      const res = await request(server)
        .post('/api/canary/rollouts')
        .set('content-type', 'application/json')
        .send(body)
        .expect(400);
      expect(res.body.error.message).toMatch(
        /^Invalid launch request: strategy(\.next)+: nested deeper than 32 levels$/,
      );
    });

    it('keeps a refusal short whatever the input', async () => {
      const hugeKey = 'k'.repeat(100_000);
      const res = await request(server)
        .post('/api/canary/rollouts')
        .send({
          entityRef: SHOP,
          canaryVersion: '1.2.0',
          [hugeKey]: 1,
          ...Object.fromEntries(
            Array.from({ length: 500 }, (_, i) => [`unknown${i}`, i]),
          ),
        })
        .expect(400);
      expect(res.body.error.message).toMatch(/and \d+ more$|…/);
      expect(JSON.stringify(res.body).length).toBeLessThan(10_000);
    });
  },
);
