import type { Config } from '@backstage/config';
import type { VersionBehaviourConfig } from './workload/behaviours';

/** One demo workload as configured. */
export interface DemoWorkloadConfig {
  /** Matches the entity's `backstage.io/kubernetes-id`. */
  name: string;
  /** Matches the entity's `backstage.io/kubernetes-namespace`. */
  namespace: string;
  /** The router's loopback port; 0 takes a free one. */
  port: number;
}

/** The `canary.demo` block, read and checked, with defaults filled in. */
export interface DemoConfig {
  stableVersion: string;
  requestsPerSecond: number;
  startupDelayMs: number;
  workloads: DemoWorkloadConfig[];
  versions: Record<string, VersionBehaviourConfig>;
  /** Serve the world over HTTP on this loopback port (0: any free port); absent: do not. */
  worldApiPort?: number;
  /** Use the world another process serves at this URL instead of running one. */
  remote?: string;
}

/** The workload started when `canary.demo.workloads` is absent. */
export const DEFAULT_DEMO_WORKLOAD: DemoWorkloadConfig = {
  name: 'demo-shop',
  namespace: 'default',
  port: 0,
};

/** Upper bound of `canary.demo.requestsPerSecond`, so the demo cannot swamp its machine. */
const MAX_REQUESTS_PER_SECOND = 1000;
/** Upper bound of `latencyMs`, in milliseconds. */
const MAX_EXTRA_LATENCY_MS = 10_000;
/** Upper bound of `regressAfterMs`: a day, in milliseconds. */
const MAX_REGRESS_AFTER_MS = 24 * 60 * 60 * 1000;
/** Upper bound of `canary.demo.startupDelayMs`. */
const MAX_STARTUP_DELAY_MS = 10 * 60 * 1000;

/** Reads a number in 0-max; `label` names the key in errors. */
function readNumber(
  config: Config,
  key: string,
  label: string,
  limits: { fallback: number; max: number; integer?: boolean },
): number {
  const { fallback, max, integer } = limits;
  const value = config.getOptionalNumber(key) ?? fallback;
  if (
    !Number.isFinite(value) ||
    value < 0 ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new Error(
      `Invalid config ${label}: ${value}, expected ${
        integer ? 'an integer' : 'a number'
      } in 0-${max}`,
    );
  }
  return value;
}

/** Reads `workloads`, or the single default workload when the list is absent. */
function readWorkloads(config: Config): DemoWorkloadConfig[] {
  const entries = config.getOptionalConfigArray('workloads');
  if (!entries) {
    return [DEFAULT_DEMO_WORKLOAD];
  }
  const workloads = entries.map((entry, index) => ({
    name: entry.getString('name'),
    namespace: entry.getOptionalString('namespace') ?? 'default',
    port: readNumber(entry, 'port', `canary.demo.workloads[${index}].port`, {
      fallback: 0,
      max: 65535,
      integer: true,
    }),
  }));
  const ids = new Set<string>();
  for (const { namespace, name } of workloads) {
    const id = `${namespace}/${name}`;
    if (ids.has(id)) {
      throw new Error(
        `Invalid config canary.demo.workloads: ${id} is listed twice`,
      );
    }
    ids.add(id);
  }
  return workloads;
}

/** Checks one entry of `versions`. */
function readBehaviour(
  version: string,
  value: unknown,
): VersionBehaviourConfig {
  const where = `canary.demo.versions['${version}']`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Invalid config ${where}: expected an object`);
  }
  const limits: Record<string, number> = {
    errorRate: 1,
    latencyMs: MAX_EXTRA_LATENCY_MS,
    regressAfterMs: MAX_REGRESS_AFTER_MS,
  };
  const behaviour: VersionBehaviourConfig = {};
  for (const [field, raw] of Object.entries(value)) {
    const max = limits[field];
    if (max === undefined) {
      throw new Error(
        `Invalid config ${where}: unknown field '${field}', expected errorRate, latencyMs or regressAfterMs`,
      );
    }
    if (typeof raw !== 'number' || !(raw >= 0 && raw <= max)) {
      throw new Error(
        `Invalid config ${where}.${field}: ${JSON.stringify(
          raw,
        )}, expected a number in 0-${max}`,
      );
    }
    behaviour[field as keyof VersionBehaviourConfig] = raw;
  }
  return behaviour;
}

/**
 * Reads version behaviours. Version keys contain dots, which config paths cannot address, so the
 * map is read as a whole and checked here.
 */
function readVersions(config: Config): Record<string, VersionBehaviourConfig> {
  const raw = config.getOptional('versions');
  if (raw === undefined) {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(
      'Invalid config canary.demo.versions: expected a map of version to behaviour',
    );
  }
  return Object.fromEntries(
    Object.entries(raw).map(([version, value]) => [
      version,
      readBehaviour(version, value),
    ]),
  );
}

/** Reads `remote`: an http(s) URL, and nothing to serve beside it. */
function readRemote(config: Config): string | undefined {
  const remote = config.getOptionalString('remote');
  if (remote === undefined) {
    return undefined;
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(remote).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(
      `Invalid config canary.demo.remote: ${JSON.stringify(
        remote,
      )}, expected an http(s) URL`,
    );
  }
  if (config.has('worldApi')) {
    throw new Error(
      'Invalid config canary.demo: a backend using a remote world (remote) has no world to serve (worldApi)',
    );
  }
  return remote;
}

/**
 * Reads `canary.demo`. The demo runs when the block is present (even empty, `demo: {}`) unless
 * `enabled` is false; without the block it does not run. Returns `undefined` when it does not run,
 * and throws on invalid values.
 */
export function readDemoConfig(rootConfig: Config): DemoConfig | undefined {
  const config = rootConfig.getOptionalConfig('canary.demo');
  if (!config || config.getOptionalBoolean('enabled') === false) {
    return undefined;
  }
  return {
    stableVersion: config.getOptionalString('stableVersion') ?? '1.0.0',
    requestsPerSecond: readNumber(
      config,
      'requestsPerSecond',
      'canary.demo.requestsPerSecond',
      { fallback: 100, max: MAX_REQUESTS_PER_SECOND },
    ),
    startupDelayMs: readNumber(
      config,
      'startupDelayMs',
      'canary.demo.startupDelayMs',
      { fallback: 1000, max: MAX_STARTUP_DELAY_MS },
    ),
    workloads: readWorkloads(config),
    versions: readVersions(config),
    worldApiPort: config.has('worldApi')
      ? readNumber(config, 'worldApi.port', 'canary.demo.worldApi.port', {
          fallback: 0,
          max: 65535,
          integer: true,
        })
      : undefined,
    remote: readRemote(config),
  };
}
