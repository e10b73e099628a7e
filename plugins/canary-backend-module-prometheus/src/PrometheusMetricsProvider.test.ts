import { ConfigReader } from '@backstage/config';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import {
  FakeAnswer,
  FakePrometheus,
  vector,
} from './__testUtils__/fakePrometheus';
import { PrometheusClient } from './client/PrometheusClient';
import { readPrometheusConfig } from './config';
import {
  PrometheusMetricsProvider,
  PrometheusNoDataError,
  trackOfArm,
} from './PrometheusMetricsProvider';

const TARGET: RolloutTarget = {
  namespace: 'team-a',
  name: 'shop',
  router: 'istio',
  metrics: 'prometheus',
  workload: 'kubernetes',
};
const WINDOW = {
  start: new Date('2026-11-20T10:00:00.000Z'),
  end: new Date('2026-11-20T10:01:30.500Z'),
};

/** Answers by the query's metric name; queries nobody answers get an empty vector. */
function answers(byMetric: Record<string, FakeAnswer>) {
  return ({ form }: { form: Record<string, string> }) => {
    const metric = Object.keys(byMetric).find(name =>
      form.query.includes(name),
    );
    return metric ? byMetric[metric] : vector([]);
  };
}

describe('PrometheusMetricsProvider', () => {
  let fake: FakePrometheus;
  beforeEach(async () => {
    fake = await FakePrometheus.start();
  });
  afterEach(() => fake.close());

  function provider(prometheus: object = {}, kind = 'prometheus') {
    const config = readPrometheusConfig(
      new ConfigReader({
        canary: { prometheus: { baseUrl: fake.url, ...prometheus } },
      }),
    )!;
    return new PrometheusMetricsProvider(
      new PrometheusClient(config.client),
      config.querySets.get(kind)!,
      config.tracks,
    );
  }

  /** The built-in queries' answers for a healthy arm. */
  const healthy = {
    'code=~': vector([{ value: '3.2' }]),
    http_requests_total: vector([{ value: '1000.4' }]),
    http_request_duration_seconds_bucket: vector([
      { labels: { le: '0.05' }, value: '600.2' },
      { labels: { le: '0.1' }, value: '900' },
      { labels: { le: '+Inf' }, value: '1000.4' },
    ]),
    container_cpu_usage_seconds_total: vector([{ value: '0.25' }]),
    container_memory_working_set_bytes: vector([{ value: '134217728' }]),
  };

  it('reads requests, errors, latency and gauges of an arm at the window end, over its duration', async () => {
    fake.handler = answers(healthy);
    const sample = await provider().sample(TARGET, 'canary', WINDOW);
    expect(sample).toEqual({
      requests: 1000,
      errors: 3,
      latency: { bounds: [0.05, 0.1], counts: [600, 300, 100] },
      gauges: { 'cpu-cores': 0.25, 'memory-bytes': 134217728 },
    });
    expect(fake.received).toHaveLength(5);
    for (const { form } of fake.received) {
      expect(form.time).toBe('1795168890.500');
    }
    expect(fake.queries).toContain(
      'sum(increase(http_requests_total{namespace="team-a", app="shop", track="canary"}[1m30s500ms]))',
    );
    expect(fake.queries).toContain(
      'avg(sum by (pod) (container_memory_working_set_bytes{namespace="team-a", pod=~"shop-canary-[a-z0-9]+-[a-z0-9]+", container!="", container!="POD"}))',
    );
  });

  it('maps the baseline arm to the stable pods, or to the dedicated baseline pods', async () => {
    expect(trackOfArm('canary')).toBe('canary');
    expect(trackOfArm('canary', { dedicatedBaseline: true })).toBe('canary');
    expect(trackOfArm('baseline')).toBe('stable');
    expect(trackOfArm('baseline', { dedicatedBaseline: false })).toBe('stable');
    expect(trackOfArm('baseline', { dedicatedBaseline: true })).toBe(
      'baseline',
    );

    fake.handler = answers(healthy);
    await provider().sample(TARGET, 'baseline', WINDOW);
    expect(fake.queries.join('\n')).toContain('track="stable"');
    expect(fake.queries.join('\n')).toContain('pod=~"shop-[a-z0-9]+');
    fake.received.length = 0;
    await provider().sample(TARGET, 'baseline', WINDOW, {
      dedicatedBaseline: true,
    });
    expect(fake.queries.join('\n')).toContain('track="baseline"');
    expect(fake.queries.join('\n')).toContain('pod=~"shop-baseline-[a-z0-9]+');
    expect(fake.queries.join('\n')).not.toContain('track="stable"');
  });

  it('reads the tracks and suffixes of the config, and the cluster of the target', async () => {
    fake.handler = answers(healthy);
    await provider({
      tracks: { canary: { label: 'v2', workloadSuffix: '.next' } },
      queries: {
        requests:
          'sum(increase(http_requests_total{cluster="{{cluster}}", w="{{workload}}", t="{{track}}"}[{{window}}]))',
      },
    }).sample({ ...TARGET, cluster: 'eu-1' }, 'canary', WINDOW);
    expect(fake.queries).toContain(
      'sum(increase(http_requests_total{cluster="eu-1", w="shop.next", t="v2"}[1m30s500ms]))',
    );
  });

  it('throws "no data" when requests answer nothing: never zeros', async () => {
    fake.handler = answers({});
    const error = await provider()
      .sample(TARGET, 'canary', WINDOW)
      .catch(e => e);
    expect(error).toBeInstanceOf(PrometheusNoDataError);
    expect(error.message).toMatch(
      /^Prometheus has no data for canary\.prometheus\.queries\.requests \(track "canary" of team-a\/shop, 90500 ms to 2026-11-20T10:01:30\.500Z\)\. Query: sum\(increase\(http_requests_total/,
    );
  });

  it('throws "no data" when errors answer nothing or NaN', async () => {
    fake.handler = answers({
      'code=~': vector([{ value: 'NaN' }]),
      http_requests_total: vector([{ value: '10' }]),
    });
    await expect(provider().sample(TARGET, 'canary', WINDOW)).rejects.toThrow(
      /^Prometheus has no data for canary\.prometheus\.queries\.errors /,
    );
  });

  it('leaves out latency, gauges and ratios that answer nothing, instead of reporting zeros', async () => {
    fake.handler = answers({
      'code=~': vector([{ value: '0' }]),
      http_requests_total: vector([{ value: '50' }]),
      visits_total: vector([{ value: '40' }]),
      container_memory_working_set_bytes: vector([{ value: 'NaN' }]),
    });
    const sample = await provider({
      queries: {
        ratios: {
          conversion: {
            count: 'sum(increase(checkouts_total{app="{{app}}"}[{{window}}]))',
            total: 'sum(increase(visits_total{app="{{app}}"}[{{window}}]))',
          },
        },
      },
    }).sample(TARGET, 'canary', WINDOW);
    expect(sample).toEqual({ requests: 50, errors: 0 });
  });

  it('reads business ratios as whole counts, the count at most its total', async () => {
    fake.handler = answers({
      'code=~': vector([{ value: '0' }]),
      http_requests_total: vector([{ value: '50' }]),
      checkouts_total: vector([{ value: '12.4' }]),
      visits_total: vector([{ value: '40.6' }]),
      signups_total: vector([{ value: '8.3' }]),
      sessions_total: vector([{ value: '7.9' }]),
    });
    const sample = await provider({
      queries: {
        latency: false,
        gauges: {},
        ratios: {
          conversion: {
            count: 'sum(increase(checkouts_total[{{window}}]))',
            total: 'sum(increase(visits_total[{{window}}]))',
          },
          signup: {
            count: 'sum(increase(signups_total[{{window}}]))',
            total: 'sum(increase(sessions_total[{{window}}]))',
          },
        },
      },
    }).sample(TARGET, 'canary', WINDOW);
    expect(sample).toEqual({
      requests: 50,
      errors: 0,
      ratios: {
        conversion: { count: 12, total: 41 },
        signup: { count: 8, total: 8 },
      },
    });
  });

  it('caps errors at requests (each is extrapolated on its own)', async () => {
    fake.handler = answers({
      'code=~': vector([{ value: '10.4' }]),
      http_requests_total: vector([{ value: '9.6' }]),
    });
    const sample = await provider({
      queries: { latency: false, gauges: {} },
    }).sample(TARGET, 'canary', WINDOW);
    expect(sample).toEqual({ requests: 10, errors: 10 });
  });

  it('converts millisecond latency buckets of a query set', async () => {
    fake.handler = answers({
      'code=~': vector([{ value: '0' }]),
      http_requests_total: vector([{ value: '4' }]),
      istio_request_duration_milliseconds_bucket: vector([
        { labels: { le: '25' }, value: '1' },
        { labels: { le: '250' }, value: '3' },
        { labels: { le: '+Inf' }, value: '4' },
      ]),
    });
    const sample = await provider(
      {
        querySets: {
          istio: {
            latency:
              'sum by (le) (increase(istio_request_duration_milliseconds_bucket{destination_workload="{{workload}}"}[{{window}}]))',
            latencyUnit: 'milliseconds',
            gauges: {},
          },
        },
      },
      'prometheus:istio',
    ).sample(TARGET, 'canary', WINDOW);
    expect(sample.latency).toEqual({
      bounds: [0.025, 0.25],
      counts: [1, 2, 1],
    });
    expect(fake.queries.join('\n')).toContain(
      'destination_workload="shop-canary"',
    );
  });

  it.each([
    [
      'several series for one number',
      { http_requests_total: vector([{ value: '1' }, { value: '2' }]) },
      /^Prometheus query canary\.prometheus\.queries\.requests answered 2 series, expected one number: aggregate them, e\.g\. with sum\(\.\.\.\)\. Query: /,
    ],
    [
      'an infinite count',
      { http_requests_total: vector([{ value: '+Inf' }]) },
      /answered Infinity, expected a finite number >= 0/,
    ],
    [
      'a negative gauge',
      {
        ...healthy,
        container_cpu_usage_seconds_total: vector([{ value: '-1' }]),
      },
      /^Prometheus query canary\.prometheus\.queries\.gauges\.cpu-cores answered -1/,
    ],
    [
      'latency without le labels',
      {
        ...healthy,
        http_request_duration_seconds_bucket: vector([{ value: '3' }]),
      },
      /^Prometheus query canary\.prometheus\.queries\.latency is not a latency histogram: a series has no le label: \{\}; aggregate with sum by \(le\)/,
    ],
    [
      'latency without a +Inf bucket',
      {
        ...healthy,
        http_request_duration_seconds_bucket: vector([
          { labels: { le: '0.1' }, value: '3' },
        ]),
      },
      /is not a latency histogram: the histogram has no le="\+Inf" bucket\. Query: sum by \(le\)/,
    ],
    [
      'an error from Prometheus',
      {
        ...healthy,
        container_memory_working_set_bytes: {
          status: 422,
          body: {
            status: 'error',
            errorType: 'execution',
            error: 'query processing would load too many samples',
          },
        },
      },
      /^Prometheus query canary\.prometheus\.queries\.gauges\.memory-bytes failed: Prometheus answered HTTP 422 execution: query processing would load too many samples\. Query: avg\(/,
    ],
  ])(
    'fails the look on %s, naming the query',
    async (_what, byMetric, problem) => {
      fake.handler = answers(byMetric);
      await expect(provider().sample(TARGET, 'canary', WINDOW)).rejects.toThrow(
        problem,
      );
    },
  );

  it.each([
    [
      { namespace: 'team-a"} or vector(1) #' },
      /The namespace .* RFC 1123 label/,
    ],
    [{ namespace: 'Team-A' }, /The namespace "Team-A"/],
    [
      { name: 'shop"}[5m]) or vector(1)' },
      /The workload name .* RFC 1123 subdomain/,
    ],
    [{ name: 'shop\n' }, /The workload name "shop\\n"/],
    [{ name: 'a'.repeat(250) }, /The canary workload name "a{250}-canary"/],
    [
      { cluster: 'eu"} or x{a="' },
      /The cluster name .* not a valid Kubernetes label value/,
    ],
  ])(
    'refuses the hostile or invalid target %j before sending any query',
    async (override, problem) => {
      fake.handler = answers(healthy);
      await expect(
        provider().sample({ ...TARGET, ...override }, 'canary', WINDOW),
      ).rejects.toThrow(problem);
      expect(fake.received).toHaveLength(0);
    },
  );

  it('refuses an empty window before sending any query', async () => {
    await expect(
      provider().sample(TARGET, 'canary', {
        start: WINDOW.end,
        end: WINDOW.end,
      }),
    ).rejects.toThrow('Cannot query a window of 0 ms');
    expect(fake.received).toHaveLength(0);
  });
});
