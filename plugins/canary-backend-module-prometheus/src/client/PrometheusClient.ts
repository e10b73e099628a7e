import { CustomErrorBase } from '@backstage/errors';

/** How the client reaches Prometheus. */
export interface PrometheusClientOptions {
  /** The HTTP API's base URL, e.g. `http://prometheus:9090` or `https://host/prometheus`. */
  baseUrl: string;
  /** Sent with every query (authorization, tenant headers). */
  headers: Record<string, string>;
  /** How long one query may take, answer included, in milliseconds. */
  timeoutMs: number;
}

/** One element of an instant query's answer: a series' labels and its value. */
export interface InstantSample {
  labels: Record<string, string>;
  /** May be NaN or infinite: Prometheus answers `"NaN"`, `"+Inf"`, `"-Inf"` as well. */
  value: number;
}

/**
 * A query Prometheus did not answer with a result: unreachable, too slow, an error status, or an
 * answer that is not a Prometheus query result. The message names the query (where it is
 * configured, and its PromQL text) and what went wrong, with Prometheus' own error message.
 */
export class PrometheusQueryError extends CustomErrorBase {
  name = 'PrometheusQueryError' as const;
}

/** The longest part of an unexpected answer quoted in an error. */
const QUOTED_BODY_CHARS = 200;

function quote(body: string): string {
  const text = body.trim().replace(/\s+/g, ' ');
  return JSON.stringify(
    text.length > QUOTED_BODY_CHARS
      ? `${text.slice(0, QUOTED_BODY_CHARS)}...`
      : text,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Prometheus writes the values JSON numbers cannot hold (Go's float formatting). */
const SPECIAL_VALUES = new Map([
  ['NaN', NaN],
  ['+Inf', Infinity],
  ['-Inf', -Infinity],
]);

/** Reads a `[<time>, "<value>"]` pair; undefined when it is not one. */
function readValue(pair: unknown): number | undefined {
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    typeof pair[0] !== 'number' ||
    typeof pair[1] !== 'string'
  ) {
    return undefined;
  }
  const text = pair[1];
  const special = SPECIAL_VALUES.get(text);
  if (special !== undefined) return special;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function readLabels(metric: unknown): Record<string, string> | undefined {
  if (!isObject(metric)) return undefined;
  const entries = Object.entries(metric);
  return entries.every(([, value]) => typeof value === 'string')
    ? (Object.fromEntries(entries) as Record<string, string>)
    : undefined;
}

/**
 * Reads the `data` of a successful instant query: a vector (any number of samples) or a scalar
 * (one sample without labels). Returns a problem description for anything else.
 */
function readInstantData(data: unknown): InstantSample[] | string {
  if (!isObject(data)) return 'it has no data object';
  const { resultType, result } = data;
  if (resultType === 'scalar') {
    const value = readValue(result);
    return value === undefined
      ? 'its scalar result is not a [time, "value"] pair'
      : [{ labels: {}, value }];
  }
  if (resultType !== 'vector') {
    return `its result type is ${JSON.stringify(
      resultType,
    )}, expected a vector or a scalar (an instant query)`;
  }
  if (!Array.isArray(result)) return 'its vector result is not a list';
  const samples: InstantSample[] = [];
  for (const element of result) {
    const labels = isObject(element) ? readLabels(element.metric) : undefined;
    const value = isObject(element) ? readValue(element.value) : undefined;
    if (!labels || value === undefined) {
      return `a vector element is not {"metric": {...}, "value": [time, "value"]}: ${quote(
        JSON.stringify(element) ?? String(element),
      )}`;
    }
    samples.push({ labels, value });
  }
  return samples;
}

/**
 * A small client of the Prometheus HTTP API: instant queries at an explicit evaluation time, sent
 * as a form POST (no URL length limit), with the configured headers and a timeout that covers the
 * whole exchange.
 */
export class PrometheusClient {
  private readonly queryUrl: string;

  constructor(private readonly options: PrometheusClientOptions) {
    const base = options.baseUrl.endsWith('/')
      ? options.baseUrl
      : `${options.baseUrl}/`;
    this.queryUrl = new URL('api/v1/query', base).toString();
  }

  /**
   * Evaluates `query` at `time`. `name` says which query this is (where it is configured), for
   * errors. Throws a PrometheusQueryError when there is no result to read.
   */
  async query(
    name: string,
    query: string,
    time: Date,
  ): Promise<InstantSample[]> {
    const fail = (problem: string, cause?: unknown) =>
      new PrometheusQueryError(
        `Prometheus query ${name} failed: ${problem}. Query: ${query}`,
        cause,
      );
    const body = new URLSearchParams({
      query,
      time: (time.getTime() / 1000).toFixed(3),
      timeout: `${this.options.timeoutMs}ms`,
    });

    let status: number;
    let statusText: string;
    let text: string;
    try {
      const response = await fetch(this.queryUrl, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
      status = response.status;
      statusText = response.statusText;
      text = await response.text();
    } catch (error) {
      if ((error as Error)?.name === 'TimeoutError') {
        throw fail(
          `${this.options.baseUrl} gave no answer within ${this.options.timeoutMs} ms`,
          error,
        );
      }
      // fetch fails with "fetch failed"; the reason is its cause (an AggregateError, when every
      // address of a host refused, has only a code).
      const cause = (error as { cause?: Error & { code?: string } })?.cause;
      throw fail(
        `cannot reach ${this.options.baseUrl}: ${
          cause?.message || cause?.code || String(error)
        }`,
        error,
      );
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw fail(
        `HTTP ${status} ${statusText}, and the answer is not JSON: ${quote(
          text,
        )}`,
      );
    }
    if (isObject(json) && json.status === 'error') {
      throw fail(
        `Prometheus answered HTTP ${status} ${String(
          json.errorType ?? 'error',
        )}: ${String(json.error ?? 'no message')}`,
      );
    }
    if (status < 200 || status > 299) {
      throw fail(`HTTP ${status} ${statusText}: ${quote(text)}`);
    }
    if (!isObject(json) || json.status !== 'success') {
      throw fail(`the answer is not a Prometheus query result: ${quote(text)}`);
    }
    const samples = readInstantData(json.data);
    if (typeof samples === 'string') {
      throw fail(`the answer is not an instant query result: ${samples}`);
    }
    return samples;
  }
}
