import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { canaryPlugin } from '../plugin';
import { canaryComponent, SHOP } from '../testing/memoryBackend';
import { MemoryWorld, memoryProvidersModule } from '../testing/memoryProviders';

/**
 * Ten thousand generated malformed or hostile requests to every route: none answers 5xx, every
 * refusal is a 4xx with a message, no write gets through, and nothing stored changes.
 */

jest.setTimeout(120_000);

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '💥'.repeat(300),
  'x'.repeat(5000),
  "'; DROP TABLE canary_rollouts; --",
  '" OR 1=1 --',
  '{app="x"} or vector(1)',
  'x"}[5m]) or up{a="',
  '../../etc/passwd',
  'component:default/../../shop',
  'component:default/shop\nx',
  'component:default/SHOP;rm -rf /',
  'user:default/admin',
  'Deployment/kube-system/coredns',
  `${'a'.repeat(254)}.example`,
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '1.1.0\r\nX-Injected: 1',
];

function generator(seed: number) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const atom = (): unknown =>
    pick([
      null,
      true,
      -1,
      1e308,
      -1e-308,
      0.5,
      101,
      2 ** 53 + 1,
      pick(HOSTILE_STRINGS),
      [],
      {},
    ]);
  const nested = (depth: number): unknown => {
    if (depth === 0) return atom();
    return random() < 0.5 ? { a: nested(depth - 1) } : [nested(depth - 1)];
  };
  const value = (): unknown =>
    random() < 0.1 ? nested(Math.floor(random() * 40)) : atom();
  return { random, pick, value };
}

/** A valid analysis request with every field, for the generator to break one of. */
const VALID_ANALYSIS = {
  alpha: 0.05,
  minLooks: 1,
  maxLooks: 2,
  minSampleSize: 0,
  inconclusiveAction: 'pause',
  noDataAction: 'rollback',
  maxConsecutiveNoData: 3,
  metrics: [
    {
      name: 'errors',
      kind: 'proportion',
      direction: 'lower-is-better',
      margin: 0.01,
      rollbackMargin: 0,
      maxRate: 0.5,
      maxRatio: 2,
      critical: true,
      looks: [
        {
          baseline: { count: 1, total: 100 },
          canary: { count: 1, total: 100 },
        },
      ],
    },
    {
      name: 'latency',
      kind: 'distribution',
      margin: 0.1,
      quantiles: [0.5],
      max: 10,
      unit: 's',
      looks: [
        {
          baseline: { samples: [0.1, 0.2] },
          canary: { histogram: { bounds: [0.1, 1], counts: [1, 1, 0] } },
        },
      ],
    },
    {
      name: 'crashes',
      kind: 'count',
      margin: 0.2,
      looks: [
        {
          baseline: { events: 1, exposure: 1 },
          canary: { events: 0, exposure: 0.1 },
        },
      ],
    },
    {
      name: 'memory',
      kind: 'gauge',
      max: 100,
      min: 0,
      maxRelativeChange: 0.5,
      unit: 'MiB',
      looks: [{ baseline: { value: 1 }, canary: { value: 1 } }],
    },
  ],
};

/** Every path to a value in `value`: object keys and array indices. */
function paths(
  value: unknown,
  at: Array<string | number> = [],
): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [at];
  return [
    at,
    ...Object.entries(value).flatMap(([key, inner]) =>
      paths(inner, [...at, Array.isArray(value) ? Number(key) : key]),
    ),
  ];
}
const ANALYSIS_PATHS = paths(VALID_ANALYSIS).filter(p => p.length > 0);

/** Stands for the hostile JSON text in the stringified request. */
const HOLE = '\u0000hole';

/**
 * The JSON text of VALID_ANALYSIS with one field made hostile: nested deeper than any request,
 * a huge array, a huge string, or joined by an unknown field. Written as text: a deep structure
 * would overflow JSON.stringify's stack.
 */
function hostileAnalysis(
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
): string {
  const body = structuredClone(VALID_ANALYSIS) as any;
  const path = pick(ANALYSIS_PATHS);
  const parent = path.slice(0, -1).reduce((v, k) => v[k], body);
  const size = (min: number, max: number) =>
    min + Math.floor(random() * (max - min));
  let hostile: string;
  switch (pick(['deep', 'array', 'string', 'unknown'] as const)) {
    case 'deep': {
      const depth = size(9, 100_000);
      hostile =
        random() < 0.5
          ? `${'['.repeat(depth)}${']'.repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      break;
    }
    case 'array':
      hostile = `[${new Array(size(100_001, 150_000))
        .fill(JSON.stringify(pick([0, 0.5, 'x', null, 1e308])))
        .join(',')}]`;
      break;
    case 'string':
      hostile = JSON.stringify(
        pick(HOSTILE_STRINGS).padEnd(size(100_000, 1_000_000), 'x'),
      );
      break;
    default: {
      // An unknown field beside the chosen one (in the object holding it, or in it).
      const object =
        typeof parent[path[path.length - 1]] === 'object' &&
        !Array.isArray(parent[path[path.length - 1]])
          ? parent[path[path.length - 1]]
          : parent;
      if (Array.isArray(object)) return hostileAnalysis(random, pick);
      object[HOLE] = 1;
      return JSON.stringify(body).replace(
        JSON.stringify(HOLE),
        JSON.stringify(pick(HOSTILE_STRINGS) || '__proto__'),
      );
    }
  }
  parent[path[path.length - 1]] = HOLE;
  return JSON.stringify(body).replace(JSON.stringify(HOLE), () => hostile);
}

/** An analysis refusal stays this small whatever the request held. */
const SMALL_BODY = 4096;

describe('hostile input', () => {
  it('never answers 5xx and changes nothing', async () => {
    const world = new MemoryWorld();
    const { server } = await startTestBackend({
      features: [
        canaryPlugin,
        // Every analysis request reaches the judge: no caller runs into the rate limit.
        mockServices.rootConfig.factory({
          data: {
            canary: { analyze: { rateLimit: { requests: 1_000_000 } } },
          },
        }),
        memoryProvidersModule(world),
        catalogServiceMock.factory({ entities: [canaryComponent('shop')] }),
      ],
    });
    // One succeeded-and-final rollout and one active one, so that ids exist to aim at.
    const active = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
      .expect(201);
    const id = active.body.id;
    const snapshot = async () => ({
      rollouts: (await request(server).get('/api/canary/rollouts?limit=200'))
        .body,
      audit: (await request(server).get('/api/canary/audit?limit=1000')).body,
      // Changes to the world; reads (refused actions still look at it) do not count.
      writes: world.calls.filter(call => !/^(get|sample)/.test(call)),
    });
    const before = await snapshot();

    const { random, pick, value } = generator(20261126);
    const validLaunch = { entityRef: SHOP, canaryVersion: '1.2.0' };
    const requests: Array<() => request.Test> = [
      // Launch bodies with one field broken, or unknown fields, or garbage.
      () => {
        const body: Record<string, unknown> = { ...validLaunch };
        const field = pick([
          'entityRef',
          'canaryVersion',
          'stableVersion',
          'strategy',
          'reason',
          'preset',
          pick(HOSTILE_STRINGS),
        ]);
        body[field] =
          field === 'reason' ? { text: value() } : value() ?? 'x'.repeat(2000);
        return request(server).post('/api/canary/rollouts').send(body);
      },
      () =>
        request(server)
          .post('/api/canary/rollouts')
          .send({
            ...validLaunch,
            strategy: {
              stages: [{ weight: value(), minDuration: pick(HOSTILE_STRINGS) }],
            },
          }),
      () =>
        request(server)
          .post('/api/canary/rollouts')
          .set('Content-Type', 'application/json')
          .send(
            pick(['{', '[1,', '{"a":', 'null', '"x"', '{"__proto__":{"x":1}}']),
          ),
      // Actions that are unknown, malformed, or aimed at ids that are not ids.
      () =>
        request(server)
          .post(`/api/canary/rollouts/${id}/actions`)
          .send({
            action: pick([...HOSTILE_STRINGS, 'approve', 'resume', 'retry']),
            reason: value(),
          }),
      () =>
        request(server)
          .post(
            `/api/canary/rollouts/${encodeURIComponent(
              pick(HOSTILE_STRINGS),
            )}/actions`,
          )
          .send({ action: 'abort' }),
      () =>
        request(server)
          .post(`/api/canary/rollouts/${id}/actions`)
          .send({ action: 'pause', extra: value() }),
      // Queries with hostile values.
      () =>
        request(server)
          .get('/api/canary/rollouts')
          .query({
            [pick([
              'entityRef',
              'owner',
              'system',
              'phase',
              'active',
              'createdAfter',
              'createdBefore',
              'sort',
              'order',
              'limit',
              'cursor',
              'x',
            ])]: String(value()),
          }),
      () =>
        request(server)
          .get(pick(['/api/canary/audit', '/api/canary/audit/export']))
          .query({
            [pick([
              'entityRef',
              'rolloutId',
              'from',
              'to',
              'format',
              'limit',
              'cursor',
            ])]: pick(HOSTILE_STRINGS) || 'x',
          }),
      () =>
        request(server).get(
          `/api/canary/rollouts/${encodeURIComponent(
            pick(HOSTILE_STRINGS) || 'x',
          )}`,
        ),
      () =>
        request(server).get(
          `/api/canary/rollouts/${encodeURIComponent(
            pick(HOSTILE_STRINGS) || 'x',
          )}/analysis`,
        ),
      () =>
        request(server)
          .get('/api/canary/audit/verify')
          .query({ rolloutId: pick(HOSTILE_STRINGS) || 'x' }),
      () =>
        request(server).post('/api/canary/analyze').send({ metrics: value() }),
      () =>
        request(server)
          .post('/api/canary/analyze')
          .set('Content-Type', 'application/json')
          .send(hostileAnalysis(random, pick)),
    ];

    const count = Number(process.env.HOSTILE_REQUESTS ?? 10_000);
    const statuses = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const which = Math.floor(random() * requests.length);
      const res = await requests[which]()
        .timeout(5000)
        .catch((e: any) => {
          throw new Error(`Request ${i} (kind ${which}) failed: ${e.message}`);
        });

      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const { method, path } = (
        res as unknown as { req: { method: string; path: string } }
      ).req;
      // Reads may find nothing and answer 200; writes must all be refused; nothing answers 5xx.
      const refused = res.status >= 400 && res.status < 500;
      const harmlessRead = method === 'GET' && res.status === 200;
      if (!refused && !harmlessRead) {
        throw new Error(
          `Request ${i} answered ${
            res.status
          }: ${method} ${path} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
      }
      // Analysis requests are all invalid: a 400, small whatever they held.
      if (
        path === '/api/canary/analyze' &&
        (res.status !== 400 || res.text.length > SMALL_BODY)
      ) {
        throw new Error(
          `Request ${i} answered ${res.status} with ${
            res.text.length
          } characters: ${res.text.slice(0, 300)}`,
        );
      }
      if (refused && typeof res.body.error?.message !== 'string') {
        throw new Error(
          `Request ${i} answered ${
            res.status
          } without a message: ${method} ${path} ${res.text.slice(0, 200)}`,
        );
      }
    }
    // Most requests are refused, with a message each.
    const refusals = [...statuses]
      .filter(([status]) => status >= 400)
      .reduce((sum, [, n]) => sum + n, 0);
    expect(refusals).toBeGreaterThan(count * 0.8);
    expect([...statuses.keys()].every(status => status < 500)).toBe(true);
    expect(await snapshot()).toEqual(before);
  });
});
