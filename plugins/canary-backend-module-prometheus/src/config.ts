import { Config, readDurationFromConfig } from '@backstage/config';
import type { PrometheusClientOptions } from './client/PrometheusClient';
import {
  DEFAULT_ERRORS_QUERY,
  DEFAULT_GAUGE_QUERIES,
  DEFAULT_LATENCY_QUERY,
  DEFAULT_REQUESTS_QUERY,
} from './defaultQueries';
import { LATENCY_UNITS_PER_SECOND, LatencyUnit } from './query/histogram';
import { assertLabelValue } from './query/names';
import { QueryTemplate } from './query/template';

/** The metrics kind of the query set `canary.prometheus.queries`. */
const PROMETHEUS_KIND = 'prometheus';

/** The groups of pods an arm can read: the baseline arm reads `stable` or `baseline`. */
export type TrackName = 'stable' | 'canary' | 'baseline';

/** How the pods of each track are labelled (`{{track}}`) and named (`{{workload}}`). */
export type Tracks = Record<
  TrackName,
  { label: string; workloadSuffix: string }
>;

/** One set of query templates, parsed. */
export interface QuerySet {
  requests: QueryTemplate;
  errors: QueryTemplate;
  /** Absent when the set collects no latency. */
  latency?: QueryTemplate;
  latencyUnit: LatencyUnit;
  gauges: Record<string, QueryTemplate>;
  ratios: Record<string, { count: QueryTemplate; total: QueryTemplate }>;
}

/** `canary.prometheus`, read and checked. */
export interface PrometheusConfig {
  client: PrometheusClientOptions;
  tracks: Tracks;
  /** Query sets by the metrics kind they are registered as. */
  querySets: Map<string, QuerySet>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 5 * 60_000;

const DEFAULT_TRACKS: Tracks = {
  stable: { label: 'stable', workloadSuffix: '' },
  canary: { label: 'canary', workloadSuffix: '-canary' },
  baseline: { label: 'baseline', workloadSuffix: '-baseline' },
};

const MS_PER_UNIT = new Map([
  ['milliseconds', 1],
  ['seconds', 1000],
  ['minutes', 60_000],
  ['hours', 3_600_000],
]);

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the client sets itself. */
const RESERVED_HEADERS = ['accept', 'content-type', 'content-length', 'host'];
const QUERY_SET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const WORKLOAD_SUFFIX = /^[-.a-z0-9]*$/;

function invalid(key: string, problem: string): Error {
  return new Error(`Invalid config canary.prometheus.${key}: ${problem}`);
}

function readTimeoutMs(config: Config): number {
  if (!config.has('timeout')) return DEFAULT_TIMEOUT_MS;
  const duration = readDurationFromConfig(config, { key: 'timeout' });
  let ms = 0;
  for (const [unit, amount] of Object.entries(duration)) {
    const size = MS_PER_UNIT.get(unit);
    if (size === undefined) {
      throw invalid(
        'timeout',
        `use milliseconds, seconds, minutes or hours, not ${unit}`,
      );
    }
    ms += (amount as number) * size;
  }
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw invalid('timeout', `${ms} ms is not between 1 ms and 5 minutes`);
  }
  return Math.round(ms);
}

function readHeaders(config: Config): Record<string, string> {
  const headers: Record<string, string> = {};
  const extra = config.getOptionalConfig('headers');
  for (const name of extra?.keys() ?? []) {
    const value = extra!.getString(name);
    if (
      !HEADER_NAME.test(name) ||
      RESERVED_HEADERS.includes(name.toLowerCase())
    ) {
      throw invalid(
        `headers.${name}`,
        `not a header name the client may set (it sets ${RESERVED_HEADERS.join(
          ', ',
        )} itself)`,
      );
    }
    if (/[\r\n\0]/.test(value)) {
      throw invalid(`headers.${name}`, 'a header value is one line');
    }
    headers[name] = value;
  }

  const bearerToken = config.getOptionalString('auth.bearerToken');
  const basic = config.getOptionalConfig('auth.basic');
  if (bearerToken === undefined && basic === undefined) return headers;
  if (bearerToken !== undefined && basic !== undefined) {
    throw invalid('auth', 'give bearerToken or basic, not both');
  }
  if (
    Object.keys(headers).some(name => name.toLowerCase() === 'authorization')
  ) {
    throw invalid('headers.Authorization', 'auth already sets it');
  }
  if (bearerToken !== undefined) {
    headers.Authorization = `Bearer ${bearerToken}`;
  } else {
    const username = basic!.getString('username');
    if (username.includes(':')) {
      throw invalid('auth.basic.username', "a username has no ':'");
    }
    const credentials = `${username}:${basic!.getString('password')}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString(
      'base64',
    )}`;
  }
  return headers;
}

function readTracks(config: Config): Tracks {
  const tracks = {} as Tracks;
  for (const track of Object.keys(DEFAULT_TRACKS) as TrackName[]) {
    const key = `tracks.${track}`;
    const label =
      config.getOptionalString(`${key}.label`) ?? DEFAULT_TRACKS[track].label;
    const workloadSuffix =
      config.getOptional(`${key}.workloadSuffix`) ??
      DEFAULT_TRACKS[track].workloadSuffix;
    try {
      assertLabelValue('the label', label);
    } catch (error) {
      throw invalid(`${key}.label`, (error as Error).message);
    }
    if (
      typeof workloadSuffix !== 'string' ||
      !WORKLOAD_SUFFIX.test(workloadSuffix)
    ) {
      throw invalid(
        `${key}.workloadSuffix`,
        `${JSON.stringify(
          workloadSuffix,
        )} is not lowercase letters, digits, '-' and '.'`,
      );
    }
    tracks[track] = { label, workloadSuffix };
  }
  const distinct = (values: string[]) => new Set(values).size === values.length;
  if (!distinct(Object.values(tracks).map(t => t.label))) {
    throw invalid('tracks', 'each track needs its own label');
  }
  if (!distinct(Object.values(tracks).map(t => t.workloadSuffix))) {
    throw invalid('tracks', 'each track needs its own workloadSuffix');
  }
  return tracks;
}

/** Reads one query set; a query left out takes its built-in default. */
function readQuerySet(config: Config | undefined, path: string): QuerySet {
  const template = (key: string, fallback: string) =>
    QueryTemplate.parse(
      `${path}.${key}`,
      config?.getOptionalString(key) ?? fallback,
    );

  const latencyValue = config?.getOptional('latency') ?? DEFAULT_LATENCY_QUERY;
  if (latencyValue !== false && typeof latencyValue !== 'string') {
    throw new Error(
      `Invalid config ${path}.latency: expected a query or false`,
    );
  }
  const latencyUnit = (config?.getOptionalString('latencyUnit') ??
    'seconds') as LatencyUnit;
  if (!Object.hasOwn(LATENCY_UNITS_PER_SECOND, latencyUnit)) {
    throw new Error(
      `Invalid config ${path}.latencyUnit: "${latencyUnit}", expected seconds or milliseconds`,
    );
  }

  const gaugesConfig = config?.getOptionalConfig('gauges');
  const gauges = gaugesConfig
    ? Object.fromEntries(
        gaugesConfig
          .keys()
          .map(name => [
            name,
            QueryTemplate.parse(
              `${path}.gauges.${name}`,
              gaugesConfig.getString(name),
            ),
          ]),
      )
    : Object.fromEntries(
        Object.entries(DEFAULT_GAUGE_QUERIES).map(([name, text]) => [
          name,
          QueryTemplate.parse(`${path}.gauges.${name}`, text),
        ]),
      );

  const ratiosConfig = config?.getOptionalConfig('ratios');
  const ratios = Object.fromEntries(
    (ratiosConfig?.keys() ?? []).map(name => {
      const pair = ratiosConfig!.getConfig(name);
      return [
        name,
        {
          count: QueryTemplate.parse(
            `${path}.ratios.${name}.count`,
            pair.getString('count'),
          ),
          total: QueryTemplate.parse(
            `${path}.ratios.${name}.total`,
            pair.getString('total'),
          ),
        },
      ];
    }),
  );

  return {
    requests: template('requests', DEFAULT_REQUESTS_QUERY),
    errors: template('errors', DEFAULT_ERRORS_QUERY),
    latency:
      latencyValue === false
        ? undefined
        : QueryTemplate.parse(`${path}.latency`, latencyValue),
    latencyUnit,
    gauges,
    ratios,
  };
}

/**
 * Reads `canary.prometheus`. Returns undefined when it has no `baseUrl` (the provider is off), and
 * throws on invalid values, naming the key.
 */
export function readPrometheusConfig(
  rootConfig: Config,
): PrometheusConfig | undefined {
  const config = rootConfig.getOptionalConfig('canary.prometheus');
  const baseUrl = config?.getOptionalString('baseUrl');
  if (!config || baseUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid('baseUrl', `"${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('baseUrl', `"${baseUrl}" is not an http(s) URL`);
  }
  if (url.username || url.password) {
    throw invalid('baseUrl', 'put credentials in canary.prometheus.auth');
  }

  const querySets = new Map<string, QuerySet>([
    [
      PROMETHEUS_KIND,
      readQuerySet(
        config.getOptionalConfig('queries'),
        'canary.prometheus.queries',
      ),
    ],
  ]);
  const named = config.getOptionalConfig('querySets');
  for (const name of named?.keys() ?? []) {
    if (!QUERY_SET_NAME.test(name)) {
      throw invalid(
        `querySets.${name}`,
        'a query set name is lowercase letters, digits and -',
      );
    }
    querySets.set(
      `${PROMETHEUS_KIND}:${name}`,
      readQuerySet(
        named!.getConfig(name),
        `canary.prometheus.querySets.${name}`,
      ),
    );
  }

  return {
    client: {
      baseUrl,
      headers: readHeaders(config),
      timeoutMs: readTimeoutMs(config),
    },
    tracks: readTracks(config),
    querySets,
  };
}
