import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Piscina } from 'piscina';
import request from 'supertest';
import { canaryPlugin } from '../plugin';

jest.setTimeout(60_000);

/** A backend with `canary.analyze` settings; the default's rate limit is beyond these tests' needs. */
async function startBackend(analyze: object = {}) {
  const { server } = await startTestBackend({
    features: [
      canaryPlugin,
      mockServices.rootConfig.factory({
        data: {
          canary: { analyze: { rateLimit: { requests: 10_000 }, ...analyze } },
        },
      }),
    ],
  });
  return server;
}

/**
 * The heaviest request the limits allow: 20 distributions × 1000 looks × 50 raw samples per arm
 * (about a second of the judge's work).
 */
function worstCase() {
  const samples = (offset: number) =>
    Array.from({ length: 50 }, (_, i) => offset + ((i * 37) % 100));
  const baseline = { samples: samples(50) };
  const canary = { samples: samples(52) };
  return {
    metrics: Array.from({ length: 20 }, (_, m) => ({
      name: `latency-${m}`,
      kind: 'distribution',
      margin: 0.1,
      looks: Array.from({ length: 1000 }, () => ({ baseline, canary })),
    })),
  };
}

/** A refusal's body stays small whatever the request held. */
const SMALL_BODY = 4096;

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
    server = await startBackend();
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

  it('refuses unknown fields, naming each one', async () => {
    const body = readmeExample();
    body.alhpa = 0.01;
    body.metrics[0].critcal = false;
    body.metrics[0].looks[1].canary.margn = 0.1;
    body.metrics[1].looks[0].canary.histogram.bucket = [1];
    const res = await request(server)
      .post('/api/canary/analyze')
      .send(body)
      .expect(400);
    const message: string = res.body.error.message;
    expect(message).toContain('alhpa: not a field of the request');
    expect(message).toContain(
      'metrics[0].critcal: not a field of a proportion metric',
    );
    expect(message).toContain(
      "metrics[0].looks[1].canary.margn: not a field of a proportion metric's arm (count, total)",
    );
    expect(message).toContain(
      'metrics[1].looks[0].canary.histogram.bucket: not a field of a histogram (bounds, counts)',
    );
  });

  const refusal = async (send: (test: request.Test) => request.Test) => {
    const res = await send(request(server).post('/api/canary/analyze'));
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(SMALL_BODY);
    return res.body.error.message as string;
  };

  it('keeps a refusal small: values cut short, problems counted past the first 20', async () => {
    const huge = 'x'.repeat(5_000_000);
    const named = await refusal(t =>
      t.send({
        metrics: [
          { name: huge, kind: 'gauge', looks: [{}] },
          { name: huge, kind: 'gauge', looks: [{}] },
        ],
      }),
    );
    expect(named).toContain(
      `metrics[1].name: "${'x'.repeat(80)}…" is used twice`,
    );
    const keyed = await refusal(t => t.send({ [huge]: 1, metrics: [] }));
    expect(keyed).toContain(`["${'x'.repeat(80)}…"]: not a field`);

    // 200 looks of two invalid 1000-bucket histograms: 799,600 problems.
    const histogram = {
      bounds: Array.from({ length: 999 }, () => -1),
      counts: Array.from({ length: 1000 }, () => -1),
    };
    const looks = Array.from({ length: 200 }, () => ({
      baseline: { histogram },
      canary: { histogram },
    }));
    const counted = await refusal(t =>
      t.send({ metrics: [{ name: 'l', kind: 'distribution', looks }] }),
    );
    expect(counted.match(/must be a finite number >= 0, got -1/g)).toHaveLength(
      20,
    );
    expect(counted).toMatch(/… and 799580 more$/);
  });

  it('refuses nesting deeper than a request has before parsing it', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const message = await refusal(t =>
      t
        .set('Content-Type', 'application/json')
        .send(
          `{"metrics":[{"name":"l","kind":"distribution","looks":[{"canary":{"samples":${deep}}}]}]}`,
        ),
    );
    expect(message).toContain('deeper than 8 levels');
    // Brackets inside strings are text, not nesting.
    const text = await refusal(t =>
      t.send({ metrics: [{ name: '[[[[[[[[[[', kind: 'x', looks: [] }] }),
    );
    expect(text).toContain('metrics[0].kind: must be one of');
  });

  it('refuses bodies that are not JSON, and other content types', async () => {
    expect(
      await refusal(t =>
        t.set('Content-Type', 'application/json').send('{"metrics": ['),
      ),
    ).toContain('the request is not valid JSON');
    expect(
      await refusal(t => t.set('Content-Type', 'text/plain').send('{}')),
    ).toContain('Content-Type: application/json');
  });
});

describe('POST /api/canary/analyze: load limits', () => {
  it('refuses a caller beyond its rate limit with 429 and Retry-After, while serving another', async () => {
    const server = await startBackend({
      rateLimit: { requests: 2, window: '1m' },
    });
    const body = readmeExample();
    const alice = mockCredentials.user.header('user:default/alice');
    const send = (authorization: string) =>
      request(server)
        .post('/api/canary/analyze')
        .set('Authorization', authorization)
        .send(body);
    expect((await send(alice)).status).toBe(200);
    expect((await send(alice)).status).toBe(200);
    const refused = await send(alice);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.error.message).toMatch(
      /^Rate limit \(canary\.analyze\.rateLimit\): at most 2 analyses per 1m per caller/,
    );
    // Another user, and a service, have limits of their own.
    expect(
      (await send(mockCredentials.user.header('user:default/bob'))).status,
    ).toBe(200);
    expect((await send(mockCredentials.service.header())).status).toBe(200);
    expect((await send(alice)).status).toBe(429);
  });

  it('refuses with 503 and Retry-After while every thread is busy and the queue is full', async () => {
    const server = await startBackend({ maxThreads: 1, maxQueue: 0 });
    // A worst-case request holds the only thread while small ones arrive.
    const heavy = request(server).post('/api/canary/analyze').send(worstCase());
    const small = Array.from({ length: 5 }, () =>
      request(server).post('/api/canary/analyze').send(readmeExample()),
    );
    const responses = await Promise.all([heavy, ...small]);
    const statuses = responses.map(r => r.status);
    expect(statuses.every(s => s === 200 || s === 503)).toBe(true);
    const busy = responses.filter(r => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const res of busy) {
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error.message).toContain(
        'The analysis queue is full (canary.analyze.maxThreads 1, canary.analyze.maxQueue 0)',
      );
    }
    // Once the thread is free, the same requests are served.
    await request(server)
      .post('/api/canary/analyze')
      .send(readmeExample())
      .expect(200);
  });

  it('judges on a worker thread: other routes answer while it runs', async () => {
    const server = await startBackend();
    let dispatched!: () => void;
    const running = new Promise<void>(r => {
      dispatched = r;
    });
    const run = Piscina.prototype.run;
    const spy = jest
      .spyOn(Piscina.prototype, 'run')
      .mockImplementation(function announcedRun(this: Piscina, ...args) {
        dispatched();
        return run.apply(this, args);
      });
    try {
      let judged = false;
      const analysis = request(server)
        .post('/api/canary/analyze')
        .send(worstCase())
        .then(res => {
          judged = true;
          return res;
        });
      await running;
      await request(server).get('/api/canary/health').expect(200);
      expect(judged).toBe(false);
      const res = await analysis;
      expect(res.status).toBe(200);
      expect(res.body.looks).toHaveLength(1000);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Buffer.isBuffer(spy.mock.calls[0][0])).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
