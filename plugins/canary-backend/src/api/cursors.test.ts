import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { PermissionsService } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  createTestDatabases,
  startBackend,
} from '../__testUtils__/testBackend';
import { makeRollout } from '../engine/testRollout';
import { RolloutStore } from '../store/RolloutStore';

/**
 * Page cursors on SQLite and PostgreSQL: a cursor is sealed, so it says nothing of the row a page
 * ended on (which the caller may not be allowed to read), and a cursor the backend did not make is
 * a 400 before any query (a forged one used to reach PostgreSQL's bigint column as a 500).
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs the cursor tests on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

const SECRET_ENTITY = 'component:default/secret-project-zebra';
const CREATED_AT = '2021-03-04T05:06:07.000Z';
const base64 = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** Allows reading everything but the secret entity's rollouts. */
const hideSecret = mockServices.permissions.mock({
  authorize: (async requests =>
    requests.map(r => ({
      result:
        'resourceRef' in r && r.resourceRef === SECRET_ENTITY
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    }))) as PermissionsService['authorize'],
});

describe.each(databases.eachSupportedId())(
  'page cursors on %p',
  (databaseId: TestDatabaseId) => {
    let knex: Awaited<ReturnType<typeof databases.init>>;
    let server: any;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ server } = await startBackend({
        knex,
        permissions: hideSecret.factory,
      }));
      const store = new RolloutStore(knex);
      for (const [i, entityRef] of [
        'component:default/aardvark',
        SECRET_ENTITY,
        'component:default/zulu',
      ].entries()) {
        const rollout = makeRollout({
          id: `00000000-0000-4000-8000-00000000000${i}`,
          entityRef,
          target: { ...makeRollout().target, name: `cursor-${i}` },
          createdAt: CREATED_AT,
          updatedAt: CREATED_AT,
        });
        await store.insert(rollout, [
          {
            rolloutId: rollout.id,
            entityRef,
            at: CREATED_AT,
            actor: 'user:default/someone',
            action: 'launch',
            phaseAfter: rollout.phase,
            stageIndex: 0,
            weightsAfter: rollout.weights,
            reason: `launched ${entityRef}`,
            details: {},
          },
        ]);
      }
    });

    const get = (path: string, query: Record<string, string | number>) =>
      request(server).get(`/api/canary${path}`).query(query);

    it('ends a page on a row the caller may not read without telling anything of it', async () => {
      const first = await get('/rollouts', {
        sort: 'entityRef',
        order: 'asc',
        limit: 2,
      }).expect(200);
      // The page read aardvark and the secret entity, and shows only aardvark.
      expect(first.body.items.map((r: any) => r.entityRef)).toEqual([
        'component:default/aardvark',
      ]);
      const cursor: string = first.body.nextCursor;
      const opened = Buffer.from(cursor, 'base64url').toString('latin1');
      expect(opened).not.toContain('secret-project');
      expect(opened).not.toContain('2021');
      expect(opened).not.toContain('00000000-0000-4000-8000-000000000001');
      const second = await get('/rollouts', {
        sort: 'entityRef',
        order: 'asc',
        limit: 2,
        cursor,
      }).expect(200);
      expect(second.body.items.map((r: any) => r.entityRef)).toEqual([
        'component:default/zulu',
      ]);
    });

    it('seals audit cursors too, and they lead to the next page', async () => {
      const first = await get('/audit', { limit: 1 }).expect(200);
      const cursor: string = first.body.nextCursor;
      expect(() =>
        JSON.parse(Buffer.from(cursor, 'base64url').toString()),
      ).toThrow();
      const next = await get('/audit', { limit: 5, cursor }).expect(200);
      expect(next.body.items.length).toBeGreaterThan(0);
      expect(next.body.items[0].id).toBeGreaterThan(first.body.items[0].id);
    });

    it.each([
      ['a bigint cursor of letters', base64(['abc'])],
      ['a fractional id', base64(['1.5'])],
      ['an id beyond every number', base64(['1e999'])],
      ['a negative id', base64(['-1'])],
      ['not base64 at all', '%%%'],
      ['an empty sealed box', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ])('answers 400 to an audit cursor that is %s', async (_, cursor) => {
      const res = await get('/audit', { cursor }).expect(400);
      expect(res.body.error.message).toMatch(/Invalid cursor/);
      expect(
        (await get('/audit/export', { cursor }).expect(400)).body.error.message,
      ).toMatch(/cursor/);
    });

    it.each([
      ['a forged keyset', base64(['createdAt', 'desc', 'x', '1e999'])],
      ['a cursor with a changed byte', 'flip'],
    ])('answers 400 to a rollout cursor that is %s', async (_, forged) => {
      let cursor = forged;
      if (forged === 'flip') {
        const page = await get('/rollouts', { limit: 1 }).expect(200);
        const bytes = Buffer.from(page.body.nextCursor, 'base64url');
        bytes[bytes.length - 1] ^= 1;
        cursor = bytes.toString('base64url');
      }
      const res = await get('/rollouts', { cursor }).expect(400);
      expect(res.body.error.message).toMatch(/Invalid cursor/);
    });

    it('refuses the cursor of another installation, and reads its own after a restart', async () => {
      const sorted = { sort: 'entityRef', order: 'asc' };
      const page = await get('/rollouts', { ...sorted, limit: 1 }).expect(200);
      const own: string = page.body.nextCursor;
      // Another database: another key.
      const other = await startBackend({ permissions: hideSecret.factory });
      await request(other.server)
        .get('/api/canary/rollouts')
        .query({ cursor: own })
        .expect(400);
      // The same database, a new backend: the key is shared.
      const restarted = await startBackend({
        knex,
        permissions: hideSecret.factory,
      });
      const next = await request(restarted.server)
        .get('/api/canary/rollouts')
        .query({ ...sorted, limit: 2, cursor: own })
        .expect(200);
      expect(next.body.items.map((r: any) => r.entityRef)).toEqual([
        'component:default/zulu',
      ]);
    });
  },
);
