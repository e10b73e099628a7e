import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The module's tests run it inside the canary backend plugin, as a backend does.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import canaryBackend from '@canary-release/backstage-plugin-canary-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the canary backend's memory world
import {
  MemoryWorld,
  memoryProvidersModule,
  TestScheduler,
} from '@canary-release/backstage-plugin-canary-backend/testUtils';
import request from 'supertest';
import { canaryModulePrometheus } from '../module';
import { REAL_PROMETHEUS_URL } from './realPrometheus';
import { remoteWrite } from './remoteWrite';

/**
 * The engine with this module, on a compressed clock, for the end-to-end suites: the canary
 * backend's memory world is the traffic router and workload (kind `memory`); a synthetic service writes,
 * every 100 ms, the request counters the pods of each track would expose into the real
 * Prometheus, splitting 1000 requests/s by the router's weights and failing the share of
 * requests its version's error rate says. Ticks are triggered by the test.
 */

export const ENTITY_REF = 'component:default/shop';
/** Share of requests each version fails. */
const ERROR_RATES: Record<string, number> = {
  '1.0.0': 0,
  '1.1.0': 0,
  '1.2.0': 0.2,
};
const REQUESTS_PER_WRITE = 100;
const WRITE_INTERVAL_MS = 100;

/**
 * Writes what the service's pods would expose: `http_requests_total` by track and code and
 * `http_request_duration_seconds_bucket` by track (every request under 50 ms), at the current
 * time, as counters that only grow.
 */
export class SyntheticService {
  private readonly counters = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private lastWrite = 0;
  readonly failures: string[] = [];

  constructor(
    private readonly cluster: MemoryWorld,
    private readonly namespace: string,
  ) {}

  start() {
    this.timer = setInterval(() => {
      this.writing ??= this.write().finally(() => {
        this.writing = undefined;
      });
    }, WRITE_INTERVAL_MS);
  }

  async stop() {
    clearInterval(this.timer);
    await this.writing;
  }

  private add(labels: Record<string, string>, amount: number) {
    const key = JSON.stringify(labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + amount);
  }

  private serve(track: string, version: string, requests: number) {
    const errors = requests * ERROR_RATES[version];
    const base = { namespace: this.namespace, app: 'shop', track };
    this.add(
      { __name__: 'http_requests_total', ...base, code: '200' },
      requests - errors,
    );
    this.add({ __name__: 'http_requests_total', ...base, code: '500' }, errors);
    for (const le of ['0.05', '0.1', '+Inf']) {
      this.add(
        { __name__: 'http_request_duration_seconds_bucket', ...base, le },
        requests,
      );
    }
  }

  private async write() {
    const { weights, state } = this.cluster;
    const canaryShare = state.canary ? weights.canary / 100 : 0;
    this.serve(
      'stable',
      state.stable.version,
      REQUESTS_PER_WRITE * (1 - canaryShare),
    );
    if (state.canary) {
      this.serve(
        'canary',
        state.canary.version,
        REQUESTS_PER_WRITE * canaryShare,
      );
    }
    const now = Math.max(Date.now(), this.lastWrite + 1);
    this.lastWrite = now;
    try {
      await remoteWrite(
        REAL_PROMETHEUS_URL!,
        [...this.counters].map(([key, value]) => ({
          labels: JSON.parse(key),
          samples: [[now, value]],
        })),
      );
    } catch (error) {
      this.failures.push((error as Error).message);
    }
  }
}

/** Stages of one second and a look every 250 ms; after 3 looks without data, a pause. */
export const PRESET = {
  stages: [
    // The judge promotes a stage once it shows the canary no worse (after the minimum); the
    // maximum leaves room for a loaded machine.
    { weight: 10, minDuration: '1s', maxDuration: '15s' },
    { weight: 50, minDuration: '1s', maxDuration: '15s' },
  ],
  analysis: {
    interval: '250ms',
    minRequestsPerLook: 3,
    minRequestsPerStage: 20,
    maxConsecutiveNoData: 3,
    noDataAction: 'pause',
    metrics: [
      { name: 'error-rate', kind: 'proportion', margin: 0.05, critical: true },
      { name: 'latency', kind: 'distribution', critical: true, unit: 's' },
    ],
  },
};

function entityIn(namespace: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'shop',
      annotations: {
        'backstage.io/kubernetes-id': 'shop',
        'backstage.io/kubernetes-namespace': namespace,
        'canary.backstage.io/router': 'memory',
        'canary.backstage.io/workload': 'memory',
        'canary.backstage.io/metrics': 'prometheus',
        'canary.backstage.io/preset': 'fast',
      },
    },
    spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
  };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A backend with the canary plugin, this module configured with `prometheus`, and the memory cluster. */
export async function startEngine(
  namespace: string,
  prometheus: object,
  preset: object = PRESET,
  cluster = new MemoryWorld(),
) {
  const scheduler = mockServices.scheduler() as unknown as TestScheduler;
  const backend = await startTestBackend({
    features: [
      canaryBackend,
      canaryModulePrometheus,
      memoryProvidersModule(cluster),
      catalogServiceMock.factory({ entities: [entityIn(namespace)] }),
      scheduler.factory(),
      mockServices.rootConfig.factory({
        data: { canary: { presets: { fast: preset }, prometheus } },
      }),
    ],
  });
  return {
    server: backend.server,
    stop: () => backend.stop(),
    cluster,
    tick: () => scheduler.triggerTask('canary-engine-tick'),
  };
}

export type Engine = Awaited<ReturnType<typeof startEngine>>;

export async function launch(engine: Engine, version: string) {
  const res = await request(engine.server)
    .post('/api/canary/rollouts')
    .send({ entityRef: ENTITY_REF, canaryVersion: version });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function getRollout(engine: Engine, id: string): Promise<any> {
  return (await request(engine.server).get(`/api/canary/rollouts/${id}`)).body;
}

/** Ticks every 100 ms until `done` holds for the rollout (or 40 s pass); returns the rollout. */
export async function tickUntil(
  engine: Engine,
  id: string,
  done: (rollout: any) => boolean,
) {
  const deadline = Date.now() + 40_000;
  let rollout: any;
  do {
    await engine.tick();
    rollout = await getRollout(engine, id);
    if (done(rollout)) return rollout;
    await sleep(100);
  } while (Date.now() < deadline);
  return rollout;
}

/** Ticks until the rollout reaches one of `phases` (or 40 s pass). */
export function runUntil(engine: Engine, id: string, phases: string[]) {
  return tickUntil(engine, id, rollout => phases.includes(rollout.phase));
}

export async function auditOf(engine: Engine, id: string): Promise<any[]> {
  const res = await request(engine.server).get(
    `/api/canary/audit?rolloutId=${id}`,
  );
  return res.body.items;
}

export const FINAL = ['Succeeded', 'RolledBack', 'Paused', 'Failed', 'Aborted'];
