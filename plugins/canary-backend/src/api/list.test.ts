import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  PHASES,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import request from 'supertest';
import {
  canaryComponent,
  createTestDatabases,
  startBackend,
} from '../__testUtils__/testBackend';
import { makeRollout } from '../engine/testRollout';
import type { RolloutRecord } from '../engine/types';
import { ROLLOUT_SORTS, RolloutStore } from '../store/RolloutStore';

/**
 * The rollout list across the catalog, on SQLite and PostgreSQL: filters, every sort in both
 * directions paged to the end, and refusals of what it cannot answer.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs the list tests on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

const ENTITIES = ['alpha', 'bravo', 'charlie', 'delta'];
const OWNERS = ['group:default/team-a', 'group:default/team-b', undefined];
const SYSTEMS = ['system:default/shop', undefined];
const COUNT = 30;
/** Seeded rollouts are years old; those launched in a test are not. */
const BASE = Date.parse('2020-01-01T00:00:00.000Z');
const second = (n: number) => new Date(BASE + n * 1000).toISOString();

/**
 * Rollouts whose every sort key has ties (so the id decides) and whose ids run in another order
 * than their times. Entity names and phases sort the same in every collation.
 */
const SEEDED: RolloutRecord[] = Array.from({ length: COUNT }, (_, i) => {
  const name = ENTITIES[(i * 3) % ENTITIES.length];
  return makeRollout({
    id: `00000000-0000-4000-8000-${String((i * 17) % 97).padStart(12, '0')}`,
    entityRef: `component:default/${name}`,
    owner: OWNERS[i % OWNERS.length],
    system: SYSTEMS[i % SYSTEMS.length],
    target: { ...makeRollout().target, name: `${name}-${i}` },
    phase: PHASES[i % PHASES.length],
    createdAt: second(i % 7),
    updatedAt: second(10 + ((i * 5) % 11)),
  });
});

const KEYS: Record<
  (typeof ROLLOUT_SORTS)[number],
  (r: RolloutRecord) => string
> = {
  createdAt: r => r.createdAt,
  updatedAt: r => r.updatedAt,
  entityRef: r => r.entityRef,
  phase: r => r.phase,
};

function sortedIds(
  rollouts: RolloutRecord[],
  sort: (typeof ROLLOUT_SORTS)[number],
  order: 'asc' | 'desc',
): string[] {
  const compare = (a: string, b: string) => (a < b ? -1 : Number(a > b));
  const sorted = [...rollouts].sort(
    (a, b) => compare(KEYS[sort](a), KEYS[sort](b)) || compare(a.id, b.id),
  );
  if (order === 'desc') sorted.reverse();
  return sorted.map(r => r.id);
}

const ids = (rollouts: RolloutRecord[]) => rollouts.map(r => r.id).sort();

describe.each(databases.eachSupportedId())(
  'GET /rollouts on %p',
  (databaseId: TestDatabaseId) => {
    let server: any;
    const list = (query: Record<string, string | number>) =>
      request(server).get('/api/canary/rollouts').query(query);
    /** Every page of a query, following nextCursor; asserts each page's size. */
    async function allPages(
      query: Record<string, string | number>,
      limit: number,
    ) {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const res = await list({
          ...query,
          limit,
          ...(cursor ? { cursor } : {}),
        }).expect(200);
        pages.push(res.body.items.map((r: any) => r.id));
        cursor = res.body.nextCursor;
        if (cursor) expect(res.body.items).toHaveLength(limit);
      } while (cursor);
      return pages;
    }

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startBackend({
        knex,
        entities: [
          canaryComponent('shop', { owner: 'Team-B', system: 'shop' }),
          {
            ...canaryComponent('cart', { owner: 'user:jane', system: 'shop' }),
            metadata: {
              ...canaryComponent('cart').metadata,
              namespace: 'retail',
            },
          },
        ],
      }));
      const store = new RolloutStore(knex);
      for (const rollout of SEEDED) await store.insert(rollout, []);
    });

    it('stores the owner and system of the entity as full refs at launch', async () => {
      const shop = await request(server)
        .post('/api/canary/rollouts')
        .send({ entityRef: 'component:default/shop', canaryVersion: '1.1.0' })
        .expect(201);
      const cart = await request(server)
        .post('/api/canary/rollouts')
        .send({ entityRef: 'component:retail/cart', canaryVersion: '1.1.0' })
        .expect(201);
      expect(shop.body).toMatchObject({
        owner: 'group:default/team-b',
        system: 'system:default/shop',
      });
      expect(cart.body).toMatchObject({
        owner: 'user:retail/jane',
        system: 'system:retail/shop',
      });
      const recent = { createdAfter: '2021-01-01T00:00:00Z' };
      const launched = await list({
        ...recent,
        owner: 'group:default/team-b',
        system: 'system:default/shop',
      }).expect(200);
      expect(launched.body.items.map((r: any) => r.id)).toEqual([shop.body.id]);
      const byUser = await list({
        ...recent,
        owner: 'user:retail/jane',
      }).expect(200);
      expect(byUser.body.items).toEqual([
        expect.objectContaining({
          id: cart.body.id,
          owner: 'user:retail/jane',
        }),
      ]);
      // Clean up, so that the seeded rows are all the other tests see.
      for (const id of [shop.body.id, cart.body.id]) {
        await request(server)
          .post(`/api/canary/rollouts/${id}/actions`)
          .send({ action: 'abort' })
          .expect(200);
      }
    });

    const seededOnly = { createdBefore: second(7) };

    it.each(ROLLOUT_SORTS.flatMap(sort => [`${sort} asc`, `${sort} desc`]))(
      'pages by %s through every row once, in order',
      async sortAndOrder => {
        const [sort, order] = sortAndOrder.split(' ') as [
          (typeof ROLLOUT_SORTS)[number],
          'asc' | 'desc',
        ];
        const pages = await allPages({ ...seededOnly, sort, order }, 7);
        expect(pages.length).toBeGreaterThan(2);
        expect(pages.flat()).toEqual(sortedIds(SEEDED, sort, order));
      },
    );

    it('pages newest first by default, as before', async () => {
      const pages = await allPages(seededOnly, 8);
      expect(pages.flat()).toEqual(sortedIds(SEEDED, 'createdAt', 'desc'));
    });

    it.each<[string, Record<string, string>, (r: RolloutRecord) => boolean]>([
      [
        'owner',
        { owner: 'group:default/team-a' },
        r => r.owner === 'group:default/team-a',
      ],
      [
        'owner, in any case',
        { owner: 'Group:default/TEAM-A' },
        r => r.owner === 'group:default/team-a',
      ],
      [
        'system',
        { system: 'system:default/shop' },
        r => r.system === 'system:default/shop',
      ],
      ['one phase', { phase: 'Paused' }, r => r.phase === 'Paused'],
      [
        'a list of phases',
        { phase: 'Progressing,Paused,AwaitingApproval' },
        r => ['Progressing', 'Paused', 'AwaitingApproval'].includes(r.phase),
      ],
      ['active', { active: 'true' }, r => !isFinalPhase(r.phase)],
      ['finished', { active: 'false' }, r => isFinalPhase(r.phase)],
      [
        'a time range, from inclusive to exclusive',
        { createdAfter: second(2), createdBefore: second(5) },
        r => r.createdAt >= second(2) && r.createdAt < second(5),
      ],
      [
        'a time range written with an offset',
        {
          createdAfter: '2020-01-01T01:00:02+01:00',
          createdBefore: '2020-01-01T01:00:05+01:00',
        },
        r => r.createdAt >= second(2) && r.createdAt < second(5),
      ],
      [
        'everything at once',
        {
          entityRef: 'component:default/alpha',
          owner: 'group:default/team-b',
          phase: 'Promoting,RollingBack,Aborted',
          createdAfter: second(1),
        },
        r =>
          r.entityRef === 'component:default/alpha' &&
          r.owner === 'group:default/team-b' &&
          ['Promoting', 'RollingBack', 'Aborted'].includes(r.phase) &&
          r.createdAt >= second(1),
      ],
    ])('filters by %s', async (_name, query, predicate) => {
      const expected = SEEDED.filter(predicate);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(COUNT);
      const pages = await allPages({ ...seededOnly, ...query }, 4);
      expect(pages.flat().sort()).toEqual(ids(expected));
    });

    it('refuses a cursor made for another sort or order', async () => {
      const first = await list({ sort: 'phase', order: 'asc', limit: 5 });
      const cursor = first.body.nextCursor;
      expect(cursor).toBeDefined();
      await list({ sort: 'phase', order: 'asc', limit: 5, cursor }).expect(200);
      const others: Array<Record<string, string>> = [
        { sort: 'phase', order: 'desc' },
        { sort: 'updatedAt', order: 'asc' },
        {},
      ];
      for (const other of others) {
        const res = await list({ ...other, limit: 5, cursor }).expect(400);
        expect(res.body.error.message).toMatch(
          /cursor.*sort=phase&order=asc.*start again without a cursor/,
        );
      }
    });

    it.each<[string, Record<string, string>, RegExp]>([
      ['a cursor that is not one', { cursor: 'garbage' }, /Invalid cursor/],
      [
        'a cursor of the old format',
        {
          cursor: Buffer.from(
            JSON.stringify([second(1), SEEDED[0].id]),
          ).toString('base64url'),
        },
        /Invalid cursor/,
      ],
      ['an unknown field', { owners: 'group:default/x' }, /owners/],
      ['an unknown phase', { phase: 'Nope' }, /phase/],
      ['an unknown phase in a list', { phase: 'Paused,Nope' }, /phase\.1/],
      ['an empty phase list', { phase: '' }, /phase/],
      ['an unknown sort', { sort: 'name' }, /sort/],
      ['an unknown order', { order: 'up' }, /order/],
      ['a short owner ref', { owner: 'team-a' }, /owner.*full entity ref/],
      ['a bad system ref', { system: 'system:shop' }, /system/],
      ['a bad active flag', { active: 'maybe' }, /active/],
      ['a time that is not one', { createdAfter: 'yesterday' }, /createdAfter/],
      [
        'a time without an offset',
        { createdBefore: '2026-11-26T12:00:00' },
        /createdBefore/,
      ],
      [
        'an empty time range',
        { createdAfter: second(3), createdBefore: second(3) },
        /createdAfter: must be before createdBefore/,
      ],
      [
        'a time range the wrong way round, across offsets',
        {
          createdAfter: '2020-01-01T00:30:00Z',
          createdBefore: '2020-01-01T01:00:00+01:00',
        },
        /createdAfter: must be before createdBefore/,
      ],
      ['a limit over 200', { limit: '201' }, /limit/],
    ])('answers 400 to %s', async (_name, query, message) => {
      const res = await list(query).expect(400);
      expect(res.body.error.message).toMatch(message);
    });
  },
);
