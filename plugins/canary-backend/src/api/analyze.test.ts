import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import request from 'supertest';
import { canaryPlugin } from '../plugin';

/** The README's example of the stateless judge, so the docs cannot drift from the code. */
function readmeExample(): any {
  const readme = readFileSync(
    resolve(__dirname, '../../../../README.md'),
    'utf8',
  );
  const section = readme.slice(readme.indexOf('### The stateless judge'));
  const json = /```json\n([\s\S]*?)```/.exec(section)![1];
  return JSON.parse(json);
}

describe('POST /api/canary/analyze', () => {
  let server: any;
  beforeAll(async () => {
    ({ server } = await startTestBackend({ features: [canaryPlugin] }));
  });

  it('judges the README example look by look', async () => {
    const res = await request(server)
      .post('/api/canary/analyze')
      .send(readmeExample())
      .expect(200);
    expect(res.body.looks).toHaveLength(2);
    for (const look of res.body.looks) {
      expect(['continue', 'promote', 'rollback', 'pause']).toContain(
        look.decision,
      );
      expect(typeof look.reason).toBe('string');
      expect(look.metrics.map((m: any) => m.name)).toEqual(
        expect.arrayContaining(['error-rate', 'latency', 'crashes']),
      );
    }
    const errorRate = res.body.looks[0].metrics.find(
      (m: any) => m.name === 'error-rate',
    );
    expect(errorRate).toMatchObject({
      verdict: expect.any(String),
      explanation: expect.any(String),
    });
    expect(errorRate.estimate).toBeCloseTo(6 / 520 - 97 / 10000, 10);
    expect(errorRate.interval).toHaveLength(2);
    expect(typeof errorRate.pValue).toBe('number');
  });

  it('continues on 52/20000 vs 48/20000 with a 0.1-point margin (STATISTICS.md)', async () => {
    const res = await request(server)
      .post('/api/canary/analyze')
      .send({
        metrics: [
          {
            name: 'error-rate',
            kind: 'proportion',
            margin: 0.001,
            critical: true,
            looks: [
              {
                baseline: { count: 48, total: 20000 },
                canary: { count: 52, total: 20000 },
              },
            ],
          },
        ],
      })
      .expect(200);
    expect(res.body.looks[0].decision).toBe('continue');
  });

  it('accepts service credentials and refuses anonymous callers', async () => {
    const body = readmeExample();
    await request(server)
      .post('/api/canary/analyze')
      .set('Authorization', mockCredentials.service.header())
      .send(body)
      .expect(200);
    const anonymous = await request(server)
      .post('/api/canary/analyze')
      .set('Authorization', mockCredentials.none.header())
      .send(body);
    expect(anonymous.status).toBe(401);
  });

  const proportion = (looks: unknown[]) => ({
    metrics: [{ name: 'e', kind: 'proportion', margin: 0.01, looks }],
  });
  const invalid: Array<[string, unknown, RegExp]> = [
    [
      'negative counts',
      proportion([
        { baseline: { count: -1, total: 10 }, canary: { count: 0, total: 10 } },
      ]),
      /count/,
    ],
    [
      'more successes than trials',
      proportion([
        { baseline: { count: 11, total: 10 }, canary: { count: 0, total: 10 } },
      ]),
      /total/,
    ],
    [
      'decreasing cumulative counts',
      proportion([
        { baseline: { count: 5, total: 100 }, canary: { count: 1, total: 10 } },
        { baseline: { count: 4, total: 200 }, canary: { count: 1, total: 20 } },
      ]),
      /decrease/,
    ],
    [
      'mismatched histogram buckets',
      {
        metrics: [
          {
            name: 'l',
            kind: 'distribution',
            looks: [
              {
                baseline: { histogram: { bounds: [1, 2], counts: [1, 1] } },
                canary: { samples: [1] },
              },
            ],
          },
        ],
      },
      /counts/,
    ],
    [
      'too many metrics',
      {
        metrics: Array.from({ length: 21 }, (_, i) => ({
          name: `m${i}`,
          kind: 'gauge',
          looks: [],
        })),
      },
      /at most 20/,
    ],
    ['not an object', [1, 2, 3], /JSON object/],
    [
      'an unknown kind',
      { metrics: [{ name: 'x', kind: 'vibes', looks: [] }] },
      /kind/,
    ],
  ];

  it.each(invalid)(
    'answers 400 for %s, saying what is wrong',
    async (_name, body, message) => {
      const res = await request(server)
        .post('/api/canary/analyze')
        .send(body as object);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    },
  );

  it('never answers 5xx to generated hostile bodies', async () => {
    let seed = 20261126;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const atoms = [
      null,
      true,
      -1,
      0,
      1e308,
      -0.5,
      'x',
      '',
      '1',
      [],
      {},
      'NaN',
      2 ** 53,
    ];
    const value = (depth: number): unknown => {
      if (depth > 3 || random() < 0.3) return pick(atoms);
      if (random() < 0.5)
        return Array.from({ length: Math.floor(random() * 4) }, () =>
          value(depth + 1),
        );
      const keys = [
        'name',
        'kind',
        'margin',
        'looks',
        'baseline',
        'canary',
        'count',
        'total',
        'samples',
        'histogram',
        'bounds',
        'counts',
        'events',
        'exposure',
        'quantiles',
        'alpha',
      ];
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [
          pick(keys),
          value(depth + 1),
        ]),
      );
    };
    const kinds = ['proportion', 'count', 'distribution', 'gauge'];
    for (let i = 0; i < 300; i++) {
      const body = {
        alpha: random() < 0.8 ? undefined : value(2),
        metrics: Array.from(
          { length: 1 + Math.floor(random() * 3) },
          (_, m) => ({
            name: `m${m}`,
            kind: pick(kinds),
            margin: pick([undefined, 0.01, -1, 'a', 0]),
            looks: Array.from({ length: Math.floor(random() * 3) }, () => ({
              baseline: value(1),
              canary: value(1),
            })),
          }),
        ),
      };
      const res = await request(server).post('/api/canary/analyze').send(body);
      expect([200, 400]).toContain(res.status);
    }
  });
});
