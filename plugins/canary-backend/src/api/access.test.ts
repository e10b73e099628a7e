import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ROLLOUT_ACTIONS } from '@canary-release/backstage-plugin-canary-common';
import { Knex } from 'knex';
import request from 'supertest';
import { canaryComponent, startBackend } from '../__testUtils__/testBackend';

/**
 * "Prove it holds": every route behind authentication, and an owner-only policy enforced on every
 * read and write, for users and for service principals.
 *
 * The policy: every canary permission (read, launch, control) is allowed to the entity's owners
 * only, looked up in the (mock) catalog; service principals are allowed when the policy trusts
 * them (the Scaffolder), refused otherwise. This is the decision a real policy would reach with
 * a CONDITIONAL `isEntityOwner` decision, which the permission framework resolves before
 * `authorize` answers a request with a resourceRef; the test decides it directly so that no
 * permission and catalog backends are needed.
 */

const SHOP = 'component:default/shop';
const DEPOT = 'component:default/depot';
const ENTITIES = [
  canaryComponent('shop', { owner: 'team-a' }),
  canaryComponent('depot', { owner: 'team-b' }),
];
/** What each user's identity claims: itself and its groups. */
const OWNERSHIP: Record<string, string[]> = {
  'user:default/alice': ['user:default/alice', 'group:default/team-a'],
  'user:default/bob': ['user:default/bob', 'group:default/team-b'],
  'user:default/mallory': ['user:default/mallory'],
};
const TRUSTED_SERVICES = ['external:test-service', 'plugin:scaffolder'];

const ALICE = mockCredentials.user.header('user:default/alice');
const BOB = mockCredentials.user.header('user:default/bob');
const MALLORY = mockCredentials.user.header('user:default/mallory');
const SCAFFOLDER = mockCredentials.service.header({
  onBehalfOf: mockCredentials.service('plugin:scaffolder'),
  targetPluginId: 'canary',
});
const UNTRUSTED_SERVICE = mockCredentials.service.header({
  onBehalfOf: mockCredentials.service('external:ci-bot'),
  targetPluginId: 'canary',
});

function ownerOnlyPolicy() {
  const catalog = catalogServiceMock({ entities: ENTITIES });
  const allowed = async (
    credentials: BackstageCredentials,
    resourceRef: string | undefined,
  ) => {
    const principal = credentials.principal as {
      type: string;
      subject?: string;
      userEntityRef?: string;
    };
    if (principal.type === 'service') {
      return TRUSTED_SERVICES.includes(principal.subject!);
    }
    if (principal.type !== 'user' || !resourceRef) return false;
    const entity = await catalog.getEntityByRef(resourceRef, {
      credentials: mockCredentials.service(),
    });
    const owner = stringifyEntityRef(
      parseEntityRef(String(entity?.spec?.owner), { defaultKind: 'group' }),
    );
    return (OWNERSHIP[principal.userEntityRef!] ?? []).includes(owner);
  };
  return mockServices.permissions.mock({
    authorize: (async (requests, options) =>
      Promise.all(
        requests.map(async r => ({
          result: (await allowed(
            options.credentials,
            'resourceRef' in r ? r.resourceRef : undefined,
          ))
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
        })),
      )) as PermissionsService['authorize'],
  });
}

/** Every row the plugin stores, to show a refused request changed none. */
async function snapshot(knex: Knex) {
  const tables = [
    'canary_rollouts',
    'canary_audit_events',
    'canary_measurements',
    'canary_verdicts',
  ];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async t => [t, await knex(t).orderBy('id')] as const),
    ),
  );
}

describe('access to /api/canary with an owner-only policy', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let knex: Knex;
  let server: any;
  let policy: ReturnType<typeof ownerOnlyPolicy>;
  let world: Awaited<ReturnType<typeof startBackend>>['world'];
  let shopId: string;
  let depotId: string;

  const launch = (auth: string, entityRef: string, canaryVersion = '1.1.0') =>
    request(server)
      .post('/api/canary/rollouts')
      .set('Authorization', auth)
      .send({ entityRef, canaryVersion });
  const get = (auth: string, path: string) =>
    request(server).get(`/api/canary${path}`).set('Authorization', auth);
  const writes = () => world.calls.filter(c => !/^(get|sample)/.test(c));

  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
    policy = ownerOnlyPolicy();
    ({ server, world } = await startBackend({
      knex,
      entities: ENTITIES,
      permissions: policy.factory,
    }));
    shopId = (await launch(ALICE, SHOP).expect(201)).body.id;
    depotId = (await launch(BOB, DEPOT).expect(201)).body.id;
  });

  it('answers 401 without credentials on every route but /health', async () => {
    const none = mockCredentials.none.header();
    const invalid = mockCredentials.user.invalidHeader();
    const routes: Array<[string, string, object?]> = [
      ['get', '/strategies'],
      ['post', '/rollouts', { entityRef: SHOP, canaryVersion: '1.2.0' }],
      ['get', '/rollouts'],
      ['get', `/rollouts/${shopId}`],
      ['post', `/rollouts/${shopId}/actions`, { action: 'abort' }],
      ['get', `/rollouts/${shopId}/analysis`],
      ['get', '/audit'],
      ['get', '/audit?format=csv'],
      ['get', '/audit/export'],
      ['get', '/audit/export?format=json'],
      ['get', '/audit/verify'],
      ['post', '/analyze', { metrics: [] }],
    ];
    const before = await snapshot(knex);
    for (const [method, path, body] of routes) {
      for (const auth of [none, invalid]) {
        const req =
          method === 'get'
            ? request(server).get(`/api/canary${path}`)
            : request(server).post(`/api/canary${path}`).send(body);
        const res = await req.set('Authorization', auth);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 401,
        });
      }
    }
    await get(none, '/health').expect(200);
    expect(await snapshot(knex)).toEqual(before);
  });

  it('refuses a launch and every action to a user who does not own the entity, changing nothing', async () => {
    const before = await snapshot(knex);
    const writesBefore = writes();
    for (const auth of [BOB, MALLORY]) {
      const refused = await launch(auth, SHOP, '9.9.9').expect(403);
      expect(refused.body.error.message).toContain(SHOP);
      for (const action of ROLLOUT_ACTIONS) {
        await request(server)
          .post(`/api/canary/rollouts/${shopId}/actions`)
          .set('Authorization', auth)
          .send({ action, reason: 'not mine' })
          .expect(403);
      }
    }
    expect(await snapshot(knex)).toEqual(before);
    expect(writes()).toEqual(writesBefore);
  });

  it('lets the owner act', async () => {
    const aborted = await request(server)
      .post(`/api/canary/rollouts/${shopId}/actions`)
      .set('Authorization', ALICE)
      .send({ action: 'abort', reason: 'owner says so' })
      .expect(200);
    expect(aborted.body.phase).toBe('Aborted');
    const again = await launch(ALICE, SHOP, '1.2.0').expect(201);
    expect(again.body.createdBy).toBe('user:default/alice');
    shopId = again.body.id;
  });

  it('hides from the list and the audit trail what the caller may not read', async () => {
    const listed = async (auth: string) =>
      (await get(auth, '/rollouts').expect(200)).body.items.map(
        (r: any) => r.entityRef,
      );
    expect(new Set(await listed(ALICE))).toEqual(new Set([SHOP]));
    expect(new Set(await listed(BOB))).toEqual(new Set([DEPOT]));
    expect(await listed(MALLORY)).toEqual([]);

    const audited = async (auth: string, path: string) => {
      const res = await get(auth, path).expect(200);
      if (res.type === 'text/csv') {
        return res.text
          .trim()
          .split('\n')
          .slice(1)
          .map(line => line.split(',')[3]);
      }
      const items = Array.isArray(res.body) ? res.body : res.body.items;
      return items.map((e: any) => e.entityRef);
    };
    for (const path of [
      '/audit',
      '/audit?format=csv',
      '/audit/export',
      '/audit/export?format=json',
    ]) {
      const alice = await audited(ALICE, path);
      expect(alice.length).toBeGreaterThan(0);
      expect(new Set(alice)).toEqual(new Set([SHOP]));
      expect(new Set(await audited(BOB, path))).toEqual(new Set([DEPOT]));
      expect(await audited(MALLORY, path)).toEqual([]);
    }

    for (const path of [
      `/rollouts?entityRef=${DEPOT}`,
      `/rollouts/${depotId}`,
      `/rollouts/${depotId}/analysis`,
      `/audit?entityRef=${DEPOT}`,
      `/audit?rolloutId=${depotId}`,
      `/audit/export?entityRef=${DEPOT}`,
      `/audit/export?format=json&rolloutId=${depotId}`,
      `/audit/verify?rolloutId=${depotId}`,
      // The whole chain needs canary.audit.verify, which this policy gives no user.
      '/audit/verify',
      '/audit/verify?full=true',
    ]) {
      const res = await get(ALICE, path);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    await get(BOB, `/rollouts/${depotId}/analysis`).expect(200);
  });

  it('lets a service principal judge, and launch when the policy trusts it', async () => {
    const judged = await request(server)
      .post('/api/canary/analyze')
      .set('Authorization', mockCredentials.service.header())
      .send({
        metrics: [
          {
            name: 'error-rate',
            kind: 'proportion',
            margin: 0.01,
            looks: [
              {
                baseline: { count: 10, total: 1000 },
                canary: { count: 1, total: 100 },
              },
            ],
          },
        ],
      });
    expect(judged.status).toBe(200);
    expect(judged.body.looks).toHaveLength(1);

    policy.authorize.mockClear();
    await request(server)
      .post(`/api/canary/rollouts/${depotId}/actions`)
      .set('Authorization', BOB)
      .send({ action: 'abort' })
      .expect(200);
    const launched = await launch(SCAFFOLDER, DEPOT, '2.0.0').expect(201);
    expect(launched.body.createdBy).toBe('service:plugin:scaffolder');
    expect(policy.authorize).toHaveBeenLastCalledWith(
      [expect.objectContaining({ resourceRef: DEPOT })],
      {
        credentials: expect.objectContaining({
          principal: { type: 'service', subject: 'plugin:scaffolder' },
        }),
      },
    );

    const before = await snapshot(knex);
    await request(server)
      .post(`/api/canary/rollouts/${launched.body.id}/actions`)
      .set('Authorization', UNTRUSTED_SERVICE)
      .send({ action: 'abort' })
      .expect(403);
    await launch(UNTRUSTED_SERVICE, SHOP, '3.0.0').expect(403);
    expect(await snapshot(knex)).toEqual(before);

    // The default mock service token is trusted too: it launches like the Scaffolder.
    await request(server)
      .post(`/api/canary/rollouts/${launched.body.id}/actions`)
      .set('Authorization', mockCredentials.service.header())
      .send({ action: 'abort' })
      .expect(200);
    await launch(mockCredentials.service.header(), DEPOT, '2.1.0').expect(201);
  });
});
