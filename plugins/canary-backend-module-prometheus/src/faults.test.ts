import { ConfigReader } from '@backstage/config';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import {
  Fault,
  FaultProxy,
  ProxiedRequest,
} from '@canary-release/backstage-plugin-canary-node/testUtils';
import request from 'supertest';
import {
  auditOf,
  Engine,
  FINAL,
  launch,
  PRESET,
  runUntil,
  startEngine,
  SyntheticService,
  tickUntil,
} from './__testUtils__/engine';
import {
  REAL_PROMETHEUS_URL,
  uniqueName,
} from './__testUtils__/realPrometheus';
import { remoteWrite, WrittenSeries } from './__testUtils__/remoteWrite';
import { PrometheusClient } from './client/PrometheusClient';
import { readPrometheusConfig } from './config';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';

/**
 * Prometheus failing in every way we know, between the provider (and the engine) and a real
 * Prometheus: a FaultProxy on loopback refuses connections, closes them, answers late, answers
 * error statuses, or rewrites Prometheus' own answers (NaN, infinities, partial results). The
 * provider must never turn a bad answer into numbers, and the engine must treat it as a look
 * without data: no promotion, the no-data policy after exactly `maxConsecutiveNoData` looks, one
 * `provider-fault` event when it starts and one `provider-recovered` when it ends, and the
 * analysis going on after it.
 */

jest.setTimeout(60_000);

const available = Boolean(REAL_PROMETHEUS_URL);

it('has a real Prometheus (CANARY_TEST_PROMETHEUS_URL; required when CI is set)', () => {
  expect(available || !process.env.CI).toBe(true);
});

/** The PromQL text of a proxied query. */
const queryOf = (req: ProxiedRequest) =>
  new URLSearchParams(req.body).get('query') ?? '';
const isRequestsQuery = (req: ProxiedRequest) =>
  queryOf(req).startsWith('sum(increase(http_requests_total') &&
  !queryOf(req).includes('code=~');
const isErrorsQuery = (req: ProxiedRequest) => queryOf(req).includes('code=~');
const isLatencyQuery = (req: ProxiedRequest) =>
  queryOf(req).includes('http_request_duration_seconds_bucket');

/** Rewrites the instant-query answer Prometheus gave. */
function rewriteResult(change: (result: any[]) => any[]) {
  return (body: string) => {
    const json = JSON.parse(body);
    json.data.result = change(json.data.result);
    return JSON.stringify(json);
  };
}
const everyValue = (value: string) =>
  rewriteResult(result =>
    result.map(element => ({ ...element, value: [element.value[0], value] })),
  );

(available ? describe : describe.skip)(
  'the Prometheus provider through a faulty network',
  () => {
    const NAMESPACE = uniqueName('faults');
    const SECONDS = 120;
    /** The first sample, on a whole minute, ten minutes ago. */
    const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    /** One minute of the data: 20 canary requests per second, 10 % failing, all under 100 ms. */
    const WINDOW = {
      start: new Date(T0 + 10_000),
      end: new Date(T0 + 70_000),
    };
    const CANARY = {
      requests: 1200,
      errors: 120,
      latency: { bounds: [0.1], counts: [1200, 0] },
    };
    const TARGET: RolloutTarget = {
      namespace: NAMESPACE,
      name: 'shop',
      router: 'memory',
      metrics: 'prometheus',
      workload: 'memory',
    };
    const TIMEOUT_MS = 1000;

    function counter(
      labels: Record<string, string>,
      perSecond: number,
    ): WrittenSeries {
      return {
        labels: {
          namespace: NAMESPACE,
          app: 'shop',
          track: 'canary',
          ...labels,
        },
        samples: Array.from({ length: SECONDS + 1 }, (_, k) => [
          T0 + k * 1000,
          perSecond * k,
        ]),
      };
    }

    let proxy: FaultProxy;
    let provider: PrometheusMetricsProvider;
    const sample = () => provider.sample(TARGET, 'canary', WINDOW);

    beforeAll(async () => {
      await remoteWrite(REAL_PROMETHEUS_URL!, [
        counter({ __name__: 'http_requests_total', code: '200' }, 18),
        counter({ __name__: 'http_requests_total', code: '500' }, 2),
        ...['0.1', '+Inf'].map(le =>
          counter({ __name__: 'http_request_duration_seconds_bucket', le }, 20),
        ),
      ]);
      proxy = await FaultProxy.start({ url: REAL_PROMETHEUS_URL! });
      const config = readPrometheusConfig(
        new ConfigReader({
          canary: {
            prometheus: { baseUrl: proxy.url, timeout: `${TIMEOUT_MS}ms` },
          },
        }),
      )!;
      provider = new PrometheusMetricsProvider(
        new PrometheusClient(config.client),
        config.querySets.get('prometheus')!,
        config.tracks,
      );
    });

    afterEach(async () => {
      proxy.clear();
      await proxy.up();
    });

    afterAll(() => proxy.close());

    it('reads the exact counts through the proxy, also when the answer is slow but in time', async () => {
      await expect(sample()).resolves.toEqual(CANARY);
      proxy.inject(() => ({ delayMs: TIMEOUT_MS / 10 }));
      await expect(sample()).resolves.toEqual(CANARY);
    });

    const prometheusError = {
      status: 'error',
      errorType: 'internal',
      error: 'query processing would load too many samples into memory',
    };
    const faults: Array<
      [string, (req: ProxiedRequest) => Fault | undefined, RegExp]
    > = [
      [
        'a closed connection',
        () => ({ reset: true }),
        /queries\.requests failed: cannot reach http:\/\/127\.0\.0\.1:\d+: other side closed/,
      ],
      [
        'an answer later than the timeout',
        () => ({ delayMs: 2 * TIMEOUT_MS }),
        /queries\.requests failed: http:\/\/127\.0\.0\.1:\d+ gave no answer within 1000 ms/,
      ],
      [
        "HTTP 500 with Prometheus' own error",
        () => ({ status: 500, body: prometheusError }),
        /Prometheus answered HTTP 500 internal: query processing would load too many samples into memory/,
      ],
      [
        'HTTP 503 from a load balancer, in HTML',
        () => ({
          status: 503,
          body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
          contentType: 'text/html',
        }),
        /HTTP 503 Service Unavailable, and the answer is not JSON: "<html><body><h1>503 Service Temporarily Unavailable/,
      ],
      [
        'HTTP 429 from a rate limiter',
        () => ({
          status: 429,
          retryAfterSeconds: 5,
          body: 'too many outstanding requests',
        }),
        /HTTP 429 Too Many Requests, and the answer is not JSON: "too many outstanding requests"/,
      ],
      [
        'a 200 that is not JSON (a sign-in page)',
        () => ({
          status: 200,
          body: '<html><body>Please sign in</body></html>',
          contentType: 'text/html',
        }),
        /HTTP 200 OK, and the answer is not JSON: "<html><body>Please sign in/,
      ],
      [
        'an answer cut in the middle',
        () => ({ rewrite: body => body.slice(0, body.length / 2) }),
        /the answer is not JSON/,
      ],
      [
        'JSON of the wrong shape',
        () => ({ status: 200, body: { data: [1, 2, 3] } }),
        /the answer is not a Prometheus query result: "{\\"data\\":\[1,2,3\]}"/,
      ],
      [
        'a range result where an instant one is expected',
        () => ({
          status: 200,
          body: {
            status: 'success',
            data: { resultType: 'matrix', result: [] },
          },
        }),
        /its result type is "matrix", expected a vector or a scalar/,
      ],
      [
        'NaN requests',
        req =>
          isRequestsQuery(req) ? { rewrite: everyValue('NaN') } : undefined,
        /Prometheus has no data for canary\.prometheus\.queries\.requests \(track "canary"/,
      ],
      [
        'infinite errors',
        req =>
          isErrorsQuery(req) ? { rewrite: everyValue('+Inf') } : undefined,
        /Prometheus query canary\.prometheus\.queries\.errors answered Infinity, expected a finite number >= 0/,
      ],
      [
        'a partial result: no errors series',
        req =>
          isErrorsQuery(req) ? { rewrite: rewriteResult(() => []) } : undefined,
        /Prometheus has no data for canary\.prometheus\.queries\.errors/,
      ],
      [
        'a partial result: a histogram without its +Inf bucket',
        req =>
          isLatencyQuery(req)
            ? {
                rewrite: rewriteResult(result =>
                  result.filter(e => e.metric.le !== '+Inf'),
                ),
              }
            : undefined,
        /queries\.latency is not a latency histogram: the histogram has no le="\+Inf" bucket/,
      ],
    ];

    it('refuses to give numbers when Prometheus is down (connection refused), and gives them again once it is up', async () => {
      await proxy.down();
      // A connection the client kept open may be found closed first.
      await expect(sample()).rejects.toThrow(
        /queries\.requests failed: cannot reach http:\/\/127\.0\.0\.1:\d+: /,
      );
      await expect(sample()).rejects.toThrow(
        /queries\.requests failed: cannot reach http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      );
      await proxy.up();
      await expect(sample()).resolves.toEqual(CANARY);
    });

    it.each(faults)(
      'refuses to give numbers on %s, and gives them again once the fault is gone',
      async (_, fault, message) => {
        proxy.inject(fault);
        await expect(sample()).rejects.toThrow(message);
        proxy.clear();
        await expect(sample()).resolves.toEqual(CANARY);
      },
    );
  },
);

(available ? describe : describe.skip)(
  'the engine when Prometheus fails for a while',
  () => {
    let proxy: FaultProxy;
    let engine: Engine | undefined;
    let service: SyntheticService | undefined;

    beforeAll(async () => {
      proxy = await FaultProxy.start({ url: REAL_PROMETHEUS_URL! });
    });

    afterEach(async () => {
      await service?.stop();
      await engine?.stop();
      if (service?.failures.length) {
        throw new Error(`The synthetic service failed: ${service.failures}`);
      }
      proxy.clear();
      await proxy.up();
    });

    afterAll(() => proxy.close());

    /** An engine reading Prometheus through the proxy, its service serving, a rollout in its first stage. */
    async function rolloutInFirstStage(preset: object = PRESET) {
      const namespace = uniqueName('faults-engine');
      engine = await startEngine(
        namespace,
        { baseUrl: proxy.url, timeout: '1500ms' },
        preset,
      );
      service = new SyntheticService(engine.cluster, namespace);
      service.start();
      const id = await launch(engine, '1.1.0');
      const inStage = await tickUntil(
        engine!,
        id,
        r => r.stageStartedAt !== undefined,
      );
      expect(inStage).toMatchObject({ phase: 'Progressing', stageIndex: 0 });
      return { id, engine: engine! };
    }

    const faultEvents = (events: any[]) =>
      events.filter(e => e.action.startsWith('provider-'));

    /** Looks whose verdict is that the metrics failed, from the analysis route. */
    async function failedLooks(e: Engine, id: string) {
      const res = await request(e.server).get(
        `/api/canary/rollouts/${id}/analysis`,
      );
      return res.body.verdicts.filter(
        (look: any) => look.verdicts[0]?.verdict === 'error',
      );
    }

    it('a short outage changes no phase: one fault, one recovery, and the rollout succeeds', async () => {
      const { id, engine: e } = await rolloutInFirstStage();
      await proxy.down();
      const during = await tickUntil(
        e,
        id,
        r => r.analysis.consecutiveNoData === 1,
      );
      expect(during.phase).toBe('Progressing');
      expect(during.message).toMatch(
        /^Reading the metrics \(prometheus\) has failed since \S+$/,
      );
      expect(during.faults).toEqual([
        expect.objectContaining({
          provider: 'metrics',
          kind: 'prometheus',
          error: expect.stringMatching(
            /^Prometheus query canary\.prometheus\.queries\.requests failed: cannot reach http:\/\/127\.0\.0\.1:\d+: /,
          ),
        }),
      ]);

      await proxy.up();
      const rollout = await runUntil(e, id, FINAL);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
      const events = await auditOf(e, id);
      const faults = faultEvents(events);
      expect(faults.map(f => f.action)).toEqual([
        'provider-fault',
        'provider-recovered',
      ]);
      expect(faults[1].reason).toMatch(
        /^Reading the metrics \(prometheus\) works again after [\d.]+s$/,
      );
      expect(faults[1].details.durationMs).toBeGreaterThan(0);
      expect(events.map(ev => ev.action)).not.toContain('pause');
      expect(await failedLooks(e, id)).toHaveLength(1);
    });

    it('a long outage pauses after exactly three looks; once Prometheus is back the analysis resumes', async () => {
      const { id, engine: e } = await rolloutInFirstStage();
      await proxy.down();
      const paused = await runUntil(e, id, FINAL);
      expect(paused.phase).toBe('Paused');
      expect(await failedLooks(e, id)).toHaveLength(3);
      const events = await auditOf(e, id);
      expect(
        events
          .filter(ev => ev.action !== 'traffic-shifted')
          .map(ev => ev.action),
      ).toEqual(['launch', 'start', 'provider-fault', 'pause']);
      expect(paused.message).toBe(
        'No usable metrics for 3 looks in a row (limit 3; no metrics: the metrics provider (prometheus) failed): pausing for a decision',
      );
      expect(paused.faults[0].error).toMatch(
        /^Prometheus query .* cannot reach .*ECONNREFUSED/,
      );

      // Looks go on while paused: the recovery is recorded, the pause's reason stays.
      await proxy.up();
      const recovered = await tickUntil(e, id, r => r.faults === undefined);
      expect(recovered).toMatchObject({
        phase: 'Paused',
        message: paused.message,
      });

      const resumed = await request(e.server)
        .post(`/api/canary/rollouts/${id}/actions`)
        .send({ action: 'resume', reason: 'Prometheus is back' });
      expect(resumed.status).toBe(200);
      const rollout = await runUntil(e, id, FINAL);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
      expect(faultEvents(await auditOf(e, id)).map(f => f.action)).toEqual([
        'provider-fault',
        'provider-recovered',
      ]);
    });

    it('a partial answer (no latency series) is a metric without data: the stage never passes on it', async () => {
      const { id, engine: e } = await rolloutInFirstStage({
        ...PRESET,
        stages: [{ weight: 10, minDuration: '1s', maxDuration: '2s' }],
      });
      proxy.inject(req =>
        isLatencyQuery(req) ? { rewrite: rewriteResult(() => []) } : undefined,
      );
      const rollout = await runUntil(e, id, FINAL);
      expect(rollout.phase).toBe('Paused');
      expect(rollout.message).toMatch(
        /^The stage reached its maximum duration with latency without data: pausing for a decision$/,
      );
      const actions = (await auditOf(e, id)).map(ev => ev.action);
      expect(actions).not.toContain('complete');
      // Prometheus answered: the look has data, only the latency metric has none.
      expect(actions).not.toContain('provider-fault');
      expect(rollout.analysis.latestVerdicts).toContainEqual(
        expect.objectContaining({ metric: 'latency', verdict: 'nodata' }),
      );
    });

    it('bad answers of different kinds are one fault, never healthy data: the rollback policy applies after exactly three looks', async () => {
      const { id, engine: e } = await rolloutInFirstStage({
        ...PRESET,
        analysis: { ...PRESET.analysis, noDataAction: 'rollback' },
      });
      const kinds: Array<[string, Fault]> = [
        ['NaN', { rewrite: everyValue('NaN') }],
        ['HTML', { status: 200, body: '<html>Please sign in</html>' }],
        ['slow', { delayMs: 3000 }],
      ];
      for (const [n, [, fault]] of kinds.entries()) {
        proxy.inject(() => fault);
        const rollout = await tickUntil(
          e,
          id,
          r =>
            r.analysis.consecutiveNoData === n + 1 || r.phase !== 'Progressing',
        );
        expect(rollout.analysis.consecutiveNoData).toBe(n + 1);
      }
      const rollout = await runUntil(e, id, FINAL);
      expect(rollout.phase).toBe('RolledBack');
      expect(e.cluster.weights).toEqual({ stable: 100, canary: 0 });
      expect(e.cluster.state.stable.version).toBe('1.0.0');

      // Each look's own error is its verdict's detail (the explanation is the same public text).
      const explanations = (await failedLooks(e, id)).map(
        (look: any) => look.verdicts[0].detail,
      );
      expect(explanations).toEqual([
        expect.stringMatching(/Prometheus has no data for .*queries\.requests/),
        expect.stringMatching(/the answer is not JSON: "<html>Please sign in/),
        expect.stringMatching(/gave no answer within 1500 ms/),
      ]);
      const events = await auditOf(e, id);
      const actions = events.map(ev => ev.action);
      expect(actions).not.toContain('advance');
      expect(actions.filter(a => a === 'rollback')).toHaveLength(1);
      // One fault from the first bad answer on; the rollout ended before Prometheus recovered.
      expect(faultEvents(events).map(f => f.action)).toEqual([
        'provider-fault',
      ]);
      expect(rollout.faults).toBeUndefined();
    });
  },
);
