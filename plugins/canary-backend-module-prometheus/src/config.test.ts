import { ConfigReader } from '@backstage/config';
import { readPrometheusConfig } from './config';

const read = (prometheus: object | undefined) =>
  readPrometheusConfig(new ConfigReader({ canary: { prometheus } }));

const BASE = { baseUrl: 'http://prometheus:9090' };

/** Renders a parsed template with fixed values, to compare it with a text. */
const VALUES = {
  labels: {
    namespace: 'ns',
    app: 'shop',
    track: 'canary',
    workload: 'shop-canary',
  },
  windowMs: 60_000,
};

describe('readPrometheusConfig', () => {
  it('is off without a base URL', () => {
    expect(read(undefined)).toBeUndefined();
    expect(read({ timeout: '5s' })).toBeUndefined();
  });

  it('fills in the defaults: 10 s, no credentials, tracks, the built-in queries', () => {
    const config = read(BASE)!;
    expect(config.client).toEqual({
      baseUrl: 'http://prometheus:9090',
      headers: {},
      timeoutMs: 10_000,
    });
    expect(config.tracks).toEqual({
      stable: { label: 'stable', workloadSuffix: '' },
      canary: { label: 'canary', workloadSuffix: '-canary' },
      baseline: { label: 'baseline', workloadSuffix: '-baseline' },
    });
    expect([...config.querySets.keys()]).toEqual(['prometheus']);
    const set = config.querySets.get('prometheus')!;
    expect(set.requests.name).toBe('canary.prometheus.queries.requests');
    expect(set.requests.render(VALUES)).toBe(
      'sum(increase(http_requests_total{namespace="ns", app="shop", track="canary"}[1m]))',
    );
    expect(set.errors.render(VALUES)).toBe(
      'sum(increase(http_requests_total{namespace="ns", app="shop", track="canary", code=~"5.."}[1m])) or (0 * sum(increase(http_requests_total{namespace="ns", app="shop", track="canary"}[1m])))',
    );
    expect(set.latency!.render(VALUES)).toBe(
      'sum by (le) (increase(http_request_duration_seconds_bucket{namespace="ns", app="shop", track="canary"}[1m]))',
    );
    expect(set.latencyUnit).toBe('seconds');
    expect(
      Object.fromEntries(
        Object.entries(set.gauges).map(([name, t]) => [name, t.render(VALUES)]),
      ),
    ).toEqual({
      'cpu-cores':
        'avg(sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="ns", pod=~"shop-canary-[a-z0-9]+-[a-z0-9]+", container!="", container!="POD"}[1m])))',
      'memory-bytes':
        'avg(sum by (pod) (container_memory_working_set_bytes{namespace="ns", pod=~"shop-canary-[a-z0-9]+-[a-z0-9]+", container!="", container!="POD"}))',
    });
    expect(set.ratios).toEqual({});
  });

  it('sends a bearer token, or basic credentials, and extra headers', () => {
    expect(
      read({
        ...BASE,
        auth: { bearerToken: 's3cret' },
        headers: { 'X-Scope-OrgID': 'team-a' },
      })!.client.headers,
    ).toEqual({ Authorization: 'Bearer s3cret', 'X-Scope-OrgID': 'team-a' });
    expect(
      read({ ...BASE, auth: { basic: { username: 'ci', password: 'p:w' } } })!
        .client.headers,
    ).toEqual({
      Authorization: `Basic ${Buffer.from('ci:p:w').toString('base64')}`,
    });
  });

  it.each([
    [{ timeout: '30s' }, 30_000],
    [{ timeout: '250ms' }, 250],
    [{ timeout: { seconds: 2, milliseconds: 500 } }, 2500],
    [{ timeout: 'PT1M' }, 60_000],
  ])('reads the timeout %j', (extra, ms) => {
    expect(read({ ...BASE, ...extra })!.client.timeoutMs).toBe(ms);
  });

  it.each([
    [
      { baseUrl: 'prometheus:9090/x y' },
      /baseUrl: .* is not an http\(s\) URL|is not a URL/,
    ],
    [
      { baseUrl: 'ftp://prometheus' },
      /baseUrl: "ftp:\/\/prometheus" is not an http\(s\) URL/,
    ],
    [
      { baseUrl: 'http://u:p@prometheus' },
      /put credentials in canary.prometheus.auth/,
    ],
    [
      { timeout: '1 day' },
      /timeout: use milliseconds, seconds, minutes or hours, not days/,
    ],
    [
      { timeout: '10m' },
      /timeout: 600000 ms is not between 1 ms and 5 minutes/,
    ],
    [
      { auth: { bearerToken: 'a', basic: { username: 'u', password: 'p' } } },
      /give bearerToken or basic, not both/,
    ],
    [
      { auth: { bearerToken: 'a' }, headers: { authorization: 'x' } },
      /headers.Authorization: auth already sets it/,
    ],
    [
      { auth: { basic: { username: 'a:b', password: 'p' } } },
      /username has no ':'/,
    ],
    [
      { headers: { 'Content-Type': 'text/plain' } },
      /headers.Content-Type: not a header name the client may set/,
    ],
    [
      { headers: { 'X-A': 'one\ntwo' } },
      /headers.X-A: a header value is one line/,
    ],
    [
      { tracks: { canary: { label: 'a b' } } },
      /tracks.canary.label: the label "a b" is not a valid Kubernetes label value/,
    ],
    [
      { tracks: { canary: { label: 'stable' } } },
      /tracks: each track needs its own label/,
    ],
    [
      { tracks: { canary: { workloadSuffix: '' } } },
      /tracks: each track needs its own workloadSuffix/,
    ],
    [
      { tracks: { canary: { workloadSuffix: '"}' } } },
      /tracks.canary.workloadSuffix: "\\"}" is not lowercase letters/,
    ],
    [
      { queries: { requests: 'x{app={{app}}}' } },
      /Invalid query template canary.prometheus.queries.requests: \{\{app\}\} is a label value/,
    ],
    [
      { queries: { latency: true } },
      /canary.prometheus.queries.latency: expected a query or false/,
    ],
    [
      { queries: { latencyUnit: 'toString' } },
      /latencyUnit: "toString", expected seconds or milliseconds/,
    ],
    [
      { queries: { latencyUnit: 'minutes' } },
      /latencyUnit: "minutes", expected seconds or milliseconds/,
    ],
    [
      { querySets: { Istio: {} } },
      /querySets.Istio: a query set name is lowercase/,
    ],
    [
      { querySets: { istio: { gauges: { cpu: 'x[{{window}' } } } },
      /Invalid query template canary.prometheus.querySets.istio.gauges.cpu/,
    ],
  ])('refuses %j', (extra, problem) => {
    expect(() => read({ ...BASE, ...extra })).toThrow(problem);
  });

  it('takes an empty workload suffix, e.g. Flagger-style names (stable shop-primary, canary shop)', () => {
    expect(
      read({
        ...BASE,
        tracks: {
          stable: { workloadSuffix: '-primary' },
          canary: { workloadSuffix: '' },
        },
      })!.tracks,
    ).toEqual({
      stable: { label: 'stable', workloadSuffix: '-primary' },
      canary: { label: 'canary', workloadSuffix: '' },
      baseline: { label: 'baseline', workloadSuffix: '-baseline' },
    });
  });

  it('overrides built-in queries one by one, and registers named query sets as prometheus:<name>', () => {
    const config = read({
      ...BASE,
      tracks: {
        stable: { label: 'primary', workloadSuffix: '-primary' },
      },
      queries: {
        requests: 'sum(increase(reqs{svc="{{app}}"}[{{window}}]))',
        latency: false,
        gauges: {},
        ratios: {
          conversion: {
            count: 'sum(increase(checkouts_total{app="{{app}}"}[{{window}}]))',
            total: 'sum(increase(visits_total{app="{{app}}"}[{{window}}]))',
          },
        },
      },
      querySets: {
        istio: {
          latency: 'sum by (le) (x_bucket{w="{{workload}}"})',
          latencyUnit: 'milliseconds',
        },
      },
    })!;
    expect(config.tracks.stable).toEqual({
      label: 'primary',
      workloadSuffix: '-primary',
    });
    expect(config.tracks.canary.label).toBe('canary');

    const main = config.querySets.get('prometheus')!;
    expect(main.requests.render(VALUES)).toBe(
      'sum(increase(reqs{svc="shop"}[1m]))',
    );
    const builtIn = read(BASE)!.querySets.get('prometheus')!;
    expect(main.errors.render(VALUES)).toBe(builtIn.errors.render(VALUES));
    expect(main.latency).toBeUndefined();
    expect(main.gauges).toEqual({});
    expect(main.ratios.conversion.count.name).toBe(
      'canary.prometheus.queries.ratios.conversion.count',
    );
    expect(main.ratios.conversion.total.render(VALUES)).toBe(
      'sum(increase(visits_total{app="shop"}[1m]))',
    );

    const istio = config.querySets.get('prometheus:istio')!;
    expect(istio.requests.name).toBe(
      'canary.prometheus.querySets.istio.requests',
    );
    expect(istio.requests.render(VALUES)).toBe(builtIn.requests.render(VALUES));
    expect(istio.latency!.render(VALUES)).toBe(
      'sum by (le) (x_bucket{w="shop-canary"})',
    );
    expect(istio.latencyUnit).toBe('milliseconds');
    expect(Object.keys(istio.gauges)).toEqual(['cpu-cores', 'memory-bytes']);
  });
});
