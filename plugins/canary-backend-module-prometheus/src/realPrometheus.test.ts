import { ConfigReader } from '@backstage/config';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import {
  REAL_PROMETHEUS_URL,
  uniqueName,
} from './__testUtils__/realPrometheus';
import { remoteWrite, WrittenSeries } from './__testUtils__/remoteWrite';
import { PrometheusClient } from './client/PrometheusClient';
import { readPrometheusConfig } from './config';
import {
  PrometheusMetricsProvider,
  PrometheusNoDataError,
} from './PrometheusMetricsProvider';
import { QueryTemplate } from './query/template';

/**
 * The provider against a real Prometheus holding synthetic series with known rates: ten minutes
 * of samples, one per second, written through the remote-write receiver half an hour in the past.
 * Counters grow linearly, so `increase()` over any window inside the data is the exact count
 * (Prometheus extrapolates a linear counter exactly), and the tests can check counts to the unit.
 */

const NAMESPACE = uniqueName('t');
const SECONDS = 600;
/** The first sample, on a whole minute. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
const at = (second: number) => new Date(T0 + second * 1000);
const window = (from: number, to: number) => ({ start: at(from), end: at(to) });

/** A counter at 0 at T0 that grows by `perSecond` every second. */
function counter(
  labels: Record<string, string>,
  perSecond: number,
): WrittenSeries {
  return {
    labels: { namespace: NAMESPACE, ...labels },
    samples: Array.from({ length: SECONDS + 1 }, (_, k) => [
      T0 + k * 1000,
      perSecond * k,
    ]),
  };
}

function gauge(labels: Record<string, string>, value: number): WrittenSeries {
  return {
    labels: { namespace: NAMESPACE, ...labels },
    samples: Array.from({ length: SECONDS + 1 }, (_, k) => [
      T0 + k * 1000,
      value,
    ]),
  };
}

const MIB = 1024 * 1024;

/** Per second: stable serves 100 requests (1 % errors), canary 20 (10 %), baseline 20 (none). */
const REQUESTS: Array<[string, string, number]> = [
  ['stable', '200', 99],
  ['stable', '500', 1],
  ['canary', '200', 16],
  ['canary', '404', 2],
  ['canary', '503', 2],
  ['baseline', '200', 20],
];
/** Per second, cumulative by `le`. */
const LATENCY: Record<string, Record<string, number>> = {
  stable: { '0.05': 60, '0.1': 90, '0.25': 99, '0.5': 100, '+Inf': 100 },
  canary: { '0.05': 5, '0.1': 10, '0.25': 15, '0.5': 18, '+Inf': 20 },
};
/** Cores by pod and container; `''` (the pod's cgroup) and `POD` (pause) must not count. */
const CPU: Array<[string, string, number]> = [
  ['shop-7d9f8b6c5-abcde', 'app', 0.4],
  ['shop-7d9f8b6c5-abcde', 'istio-proxy', 0.1],
  ['shop-7d9f8b6c5-abcde', '', 0.5],
  ['shop-7d9f8b6c5-abcde', 'POD', 0.01],
  ['shop-7d9f8b6c5-fghij', 'app', 0.3],
  ['shop-canary-5f6d7c8b9-klmno', 'app', 0.2],
  ['shop-old-6c5d4b3a2-pqrst', 'app', 9],
];
const MEMORY: Array<[string, string, number]> = [
  ['shop-7d9f8b6c5-abcde', 'app', 100 * MIB],
  ['shop-7d9f8b6c5-abcde', 'istio-proxy', 50 * MIB],
  ['shop-7d9f8b6c5-abcde', '', 150 * MIB],
  ['shop-7d9f8b6c5-fghij', 'app', 250 * MIB],
  ['shop-canary-5f6d7c8b9-klmno', 'app', 150 * MIB],
];

function syntheticSeries(): WrittenSeries[] {
  const shop = { app: 'shop' };
  return [
    ...REQUESTS.map(([track, code, perSecond]) =>
      counter(
        { __name__: 'http_requests_total', ...shop, track, code },
        perSecond,
      ),
    ),
    ...Object.entries(LATENCY).flatMap(([track, buckets]) =>
      Object.entries(buckets).map(([le, perSecond]) =>
        counter(
          {
            __name__: 'http_request_duration_seconds_bucket',
            ...shop,
            track,
            le,
          },
          perSecond,
        ),
      ),
    ),
    ...CPU.map(([pod, container, cores]) =>
      counter(
        { __name__: 'container_cpu_usage_seconds_total', pod, container },
        cores,
      ),
    ),
    ...MEMORY.map(([pod, container, bytes]) =>
      gauge(
        { __name__: 'container_memory_working_set_bytes', pod, container },
        bytes,
      ),
    ),
    counter({ __name__: 'checkouts_total', ...shop, track: 'canary' }, 3),
    counter({ __name__: 'visits_total', ...shop, track: 'canary' }, 30),
    counter({ __name__: 'checkouts_total', ...shop, track: 'stable' }, 10),
    counter({ __name__: 'visits_total', ...shop, track: 'stable' }, 100),
    // Other apps, and the same app in another namespace, must not count.
    counter(
      {
        __name__: 'http_requests_total',
        app: 'shop-old',
        track: 'canary',
        code: '500',
      },
      50,
    ),
    {
      ...counter(
        {
          __name__: 'http_requests_total',
          ...shop,
          track: 'canary',
          code: '500',
        },
        50,
      ),
      labels: {
        __name__: 'http_requests_total',
        namespace: `${NAMESPACE}-other`,
        app: 'shop',
        track: 'canary',
        code: '500',
      },
    },
  ];
}

const TARGET: RolloutTarget = {
  namespace: NAMESPACE,
  name: 'shop',
  router: 'memory',
  metrics: 'prometheus',
  workload: 'memory',
};

const track = 'track="{{track}}"';
const CONFIG = {
  baseUrl: REAL_PROMETHEUS_URL,
  timeout: '5s',
  queries: {
    ratios: {
      conversion: {
        count: `sum(increase(checkouts_total{namespace="{{namespace}}", app="{{app}}", ${track}}[{{window}}]))`,
        total: `sum(increase(visits_total{namespace="{{namespace}}", app="{{app}}", ${track}}[{{window}}]))`,
      },
    },
  },
  querySets: {
    broken: { requests: 'sum(rate(http_requests_total[{{window}}])' },
  },
};

function provider(kind = 'prometheus') {
  const config = readPrometheusConfig(
    new ConfigReader({ canary: { prometheus: CONFIG } }),
  )!;
  return new PrometheusMetricsProvider(
    new PrometheusClient(config.client),
    config.querySets.get(kind)!,
    config.tracks,
  );
}

/** What the synthetic data holds over `seconds`, for the stable and the canary arm. */
function expected(seconds: number) {
  return {
    baseline: {
      requests: 100 * seconds,
      errors: 1 * seconds,
      latency: {
        bounds: [0.05, 0.1, 0.25, 0.5],
        counts: [60, 30, 9, 1, 0].map(n => n * seconds),
      },
      ratios: { conversion: { count: 10 * seconds, total: 100 * seconds } },
    },
    canary: {
      requests: 20 * seconds,
      errors: 2 * seconds,
      latency: {
        bounds: [0.05, 0.1, 0.25, 0.5],
        counts: [5, 5, 5, 3, 2].map(n => n * seconds),
      },
      ratios: { conversion: { count: 3 * seconds, total: 30 * seconds } },
    },
  };
}

const available = Boolean(REAL_PROMETHEUS_URL);

it('has a real Prometheus (CANARY_TEST_PROMETHEUS_URL; required when CI is set)', () => {
  expect(available || !process.env.CI).toBe(true);
});

(available ? describe : describe.skip)(
  'PrometheusMetricsProvider on a real Prometheus',
  () => {
    beforeAll(async () => {
      await remoteWrite(REAL_PROMETHEUS_URL!, syntheticSeries());
    });

    it('reads exact counts, histograms, ratios and gauges of both arms over a window', async () => {
      const look = window(60, 120);
      const [baseline, canary] = await Promise.all([
        provider().sample(TARGET, 'baseline', look),
        provider().sample(TARGET, 'canary', look),
      ]);
      const { gauges: baselineGauges, ...baselineCounts } = baseline;
      const { gauges: canaryGauges, ...canaryCounts } = canary;
      expect(baselineCounts).toEqual(expected(60).baseline);
      expect(canaryCounts).toEqual(expected(60).canary);
      // Per pod, without the pod cgroup and pause containers: stable (0.5 + 0.3) / 2 cores.
      expect(baselineGauges!['cpu-cores']).toBeCloseTo(0.4, 9);
      expect(baselineGauges!['memory-bytes']).toBe(200 * MIB);
      expect(canaryGauges!['cpu-cores']).toBeCloseTo(0.2, 9);
      expect(canaryGauges!['memory-bytes']).toBe(150 * MIB);
    });

    it('reads the dedicated baseline pods; an arm without 5xx series has 0 errors, an absent histogram no latency', async () => {
      const sample = await provider().sample(
        TARGET,
        'baseline',
        window(0, 600),
        {
          dedicatedBaseline: true,
        },
      );
      expect(sample).toEqual({ requests: 12_000, errors: 0 });
    });

    it('gives the same whole counts for a window between samples (linear counters extrapolate exactly)', async () => {
      // Samples at 61..120 s: 59 s of data, extrapolated by 0.5 s at each end to the 60 s window.
      const look = {
        start: new Date(T0 + 60_500),
        end: new Date(T0 + 120_500),
      };
      const [baseline, canary] = await Promise.all([
        provider().sample(TARGET, 'baseline', look),
        provider().sample(TARGET, 'canary', look),
      ]);
      expect(baseline).toMatchObject(expected(60).baseline);
      expect(canary).toMatchObject(expected(60).canary);
    });

    it("reports Prometheus' extrapolation for a window that runs past the data", async () => {
      // Window 591.5-610 s; samples at 592..600 s: 8 s of data. Prometheus 2.x extrapolates to the
      // window's start (0.5 s away: under 1.1 sample intervals) but only half an interval past the
      // last sample (10 s away), so it counts 8 + 0.5 + 0.5 = 9 s worth: 9/8 of the sampled
      // increase, where the data hold 8.5 s.
      const look = { start: new Date(T0 + 591_500), end: at(610) };
      const [baseline, canary] = await Promise.all([
        provider().sample(TARGET, 'baseline', look),
        provider().sample(TARGET, 'canary', look),
      ]);
      expect(baseline).toMatchObject(expected(9).baseline);
      expect(canary).toMatchObject(expected(9).canary);
    });

    it('has no data, not zeros, before the series begin', async () => {
      const look = { start: at(-120), end: at(-60) };
      const error = await provider()
        .sample(TARGET, 'canary', look)
        .catch(e => e);
      expect(error).toBeInstanceOf(PrometheusNoDataError);
      expect(error.message).toContain(
        'Prometheus has no data for canary.prometheus.queries.requests',
      );
    });

    it("fails with Prometheus' own message and the query's name on a broken query", async () => {
      await expect(
        provider('prometheus:broken').sample(TARGET, 'canary', window(60, 120)),
      ).rejects.toThrow(
        /^Prometheus query canary\.prometheus\.querySets\.broken\.requests failed: Prometheus answered HTTP 400 bad_data: .*unclosed left parenthesis.*\. Query: sum\(rate\(http_requests_total\[1m\]\)$/,
      );
    });

    describe('escaping, checked by the PromQL parser itself', () => {
      const HOSTILE = [
        'shop"} or vector(42) or probe{value="',
        'shop\\"} or vector(42) #',
        'shop\n} or vector(42)',
        '"}}[5m])) + on() vector(1e9) # ',
        '{{window}}',
        '\\',
        'é😀\t',
        'a.b',
      ];
      const PROBE = 'canary_escape_probe';
      const probes = [...HOSTILE, 'shop', 'axb'].map((value, i) =>
        gauge({ __name__: PROBE, value }, i + 1),
      );
      const client = () =>
        new PrometheusClient({
          baseUrl: REAL_PROMETHEUS_URL!,
          headers: {},
          timeoutMs: 5000,
        });

      beforeAll(async () => {
        await remoteWrite(REAL_PROMETHEUS_URL!, probes);
      });

      it.each(HOSTILE.map((value, i) => [value, i + 1]))(
        'selects exactly the series whose label is %j',
        async (value, expectedSum) => {
          for (const matcher of ['=', '=~']) {
            const query = QueryTemplate.parse(
              'probe',
              `sum(${PROBE}{namespace="{{namespace}}", value${matcher}"{{app}}"})`,
            ).render({
              labels: { namespace: NAMESPACE, app: value as string },
              windowMs: 1,
            });
            const samples = await client().query('probe', query, at(300));
            expect(samples).toEqual([{ labels: {}, value: expectedSum }]);
          }
        },
      );
    });
  },
);
