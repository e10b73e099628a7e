import {
  closedPort,
  FakePrometheus,
  vector,
} from '../__testUtils__/fakePrometheus';
import { PrometheusClient, PrometheusQueryError } from './PrometheusClient';

const AT = new Date('2026-11-20T10:00:00.250Z');
const QUERY = 'sum(increase(http_requests_total{app="shop"}[1m]))';

describe('PrometheusClient', () => {
  let fake: FakePrometheus;
  beforeEach(async () => {
    fake = await FakePrometheus.start();
  });
  afterEach(() => fake.close());

  const client = (options: { timeoutMs?: number; baseUrl?: string } = {}) =>
    new PrometheusClient({
      baseUrl: options.baseUrl ?? fake.url,
      headers: { Authorization: 'Bearer t0ken', 'X-Scope-OrgID': 'team-a' },
      timeoutMs: options.timeoutMs ?? 2000,
    });

  it('posts an instant query at the given time, with the configured headers and timeout', async () => {
    fake.handler = () =>
      vector([
        { labels: { le: '0.1' }, value: '12.5' },
        { labels: { le: '+Inf' }, value: '20' },
      ]);
    const samples = await client().query('requests', QUERY, AT);
    expect(samples).toEqual([
      { labels: { le: '0.1' }, value: 12.5 },
      { labels: { le: '+Inf' }, value: 20 },
    ]);
    const [received] = fake.received;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/api/v1/query');
    expect(received.form).toEqual({
      query: QUERY,
      time: '1795168800.250',
      timeout: '2000ms',
    });
    expect(received.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'x-scope-orgid': 'team-a',
      'content-type': 'application/x-www-form-urlencoded',
    });
  });

  it('keeps the path of a base URL behind a prefix', async () => {
    await client({ baseUrl: `${fake.url}/prometheus` }).query('q', 'up', AT);
    await client({ baseUrl: `${fake.url}/prometheus/` }).query('q', 'up', AT);
    expect(fake.received.map(r => r.path)).toEqual([
      '/prometheus/api/v1/query',
      '/prometheus/api/v1/query',
    ]);
  });

  it('reads a scalar, and NaN and infinities as numbers', async () => {
    fake.handler = () => ({
      body: {
        status: 'success',
        data: { resultType: 'scalar', result: [1, 'NaN'] },
      },
    });
    const [nan] = await client().query('q', 'scalar(x)', AT);
    expect(nan.value).toBeNaN();
    fake.handler = () => vector([{ value: '+Inf' }, { value: '-Inf' }]);
    expect((await client().query('q', 'x', AT)).map(s => s.value)).toEqual([
      Infinity,
      -Infinity,
    ]);
  });

  it("names the query and gives Prometheus' own error", async () => {
    fake.handler = () => ({
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: '1:14: parse error: unexpected "}"',
      },
    });
    const error = await client()
      .query('canary.prometheus.queries.requests', 'sum(x})', AT)
      .catch(e => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error.message).toBe(
      'Prometheus query canary.prometheus.queries.requests failed: Prometheus answered HTTP 400 bad_data: 1:14: parse error: unexpected "}". Query: sum(x})',
    );
  });

  it('says when Prometheus cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(
      client({ baseUrl: url }).query('requests', QUERY, AT),
    ).rejects.toThrow(
      new RegExp(
        `^Prometheus query requests failed: cannot reach ${url}: .*ECONNREFUSED.*\\. Query: `,
      ),
    );
  });

  it('does not follow redirects, so credentials stay with the configured server', async () => {
    fake.handler = () => ({
      status: 302,
      headers: { location: 'http://127.0.0.1:1/steal' },
      body: '',
    });
    await expect(client().query('requests', QUERY, AT)).rejects.toThrow(
      `Prometheus query requests failed: cannot reach ${fake.url}: unexpected redirect. Query: ${QUERY}`,
    );
    expect(fake.received).toHaveLength(1);
  });

  it('gives up after the timeout, naming it', async () => {
    fake.handler = () => ({ delayMs: 5000, body: vector([]).body });
    const started = Date.now();
    await expect(
      client({ timeoutMs: 150 }).query('errors', QUERY, AT),
    ).rejects.toThrow(
      `Prometheus query errors failed: ${fake.url} gave no answer within 150 ms. Query: ${QUERY}`,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it.each([
    [
      'an HTML page',
      { body: '<html>Sign in</html>' },
      'HTTP 200 OK, and the answer is not JSON: "<html>Sign in</html>"',
    ],
    [
      'a proxy error',
      { status: 502, body: '<h1>Bad Gateway</h1>' },
      'HTTP 502 Bad Gateway, and the answer is not JSON: "<h1>Bad Gateway</h1>"',
    ],
    [
      'JSON with an error status code',
      { status: 500, body: { message: 'boom' } },
      'HTTP 500 Internal Server Error: "{\\"message\\":\\"boom\\"}"',
    ],
    [
      'JSON that is not a query result',
      { body: { hello: 'world' } },
      'the answer is not a Prometheus query result: "{\\"hello\\":\\"world\\"}"',
    ],
    [
      'a range result',
      {
        body: { status: 'success', data: { resultType: 'matrix', result: [] } },
      },
      'its result type is "matrix", expected a vector or a scalar',
    ],
    [
      'a vector element without a value',
      {
        body: {
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {} }] },
        },
      },
      'a vector element is not {"metric": {...}, "value": [time, "value"]}',
    ],
    [
      'a value that is not a number',
      vector([{ value: 'toString' }]),
      'a vector element is not',
    ],
    [
      'a label that is not a string',
      {
        body: {
          status: 'success',
          data: {
            resultType: 'vector',
            result: [{ metric: { le: 1 }, value: [1, '1'] }],
          },
        },
      },
      'a vector element is not',
    ],
    [
      'a scalar that is not a pair',
      {
        body: { status: 'success', data: { resultType: 'scalar', result: 3 } },
      },
      'its scalar result is not a [time, "value"] pair',
    ],
  ])('refuses %s', async (_what, answer, problem) => {
    fake.handler = () => answer;
    const error = await client()
      .query('latency', QUERY, AT)
      .catch(e => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error.message).toContain('Prometheus query latency failed: ');
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`Query: ${QUERY}`);
  });

  it('quotes at most 200 characters of a long unexpected answer', async () => {
    fake.handler = () => ({ body: `<html>${'x'.repeat(5000)}</html>` });
    const error = await client()
      .query('q', 'up', AT)
      .catch(e => e);
    expect(error.message).toContain(`"<html>${'x'.repeat(194)}..."`);
  });
});
