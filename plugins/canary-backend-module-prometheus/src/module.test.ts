import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  canaryProvidersExtensionPoint,
  CanaryProvidersExtensionPoint,
  MetricsProvider,
} from '@canary-release/backstage-plugin-canary-node';
import { FakePrometheus, vector } from './__testUtils__/fakePrometheus';
import { canaryModulePrometheus } from './module';

/** Starts the module alone, collecting the metrics providers it registers. */
async function startModule(config: object) {
  const metrics = new Map<string, MetricsProvider>();
  const extensionPoint: CanaryProvidersExtensionPoint = {
    addTrafficRouter: () => {},
    addWorkloadController: () => {},
    addMetricsProvider: (kind, provider) => metrics.set(kind, provider),
  };
  await startTestBackend({
    extensionPoints: [[canaryProvidersExtensionPoint, extensionPoint]],
    features: [
      canaryModulePrometheus,
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return metrics;
}

describe('canaryModulePrometheus', () => {
  let fake: FakePrometheus;
  beforeAll(async () => {
    fake = await FakePrometheus.start();
  });
  afterAll(() => fake.close());

  it('registers nothing without canary.prometheus.baseUrl', async () => {
    expect((await startModule({})).size).toBe(0);
  });

  it('registers kind prometheus, and prometheus:<name> per query set, reading the configured server', async () => {
    const metrics = await startModule({
      canary: {
        prometheus: {
          baseUrl: fake.url,
          auth: { bearerToken: 'abc' },
          querySets: {
            istio: {
              requests:
                'sum(increase(istio_requests_total{destination_workload="{{workload}}"}[{{window}}]))',
              errors:
                'sum(increase(istio_requests_total{destination_workload="{{workload}}", response_code=~"5.."}[{{window}}]))',
              latency: false,
              gauges: {},
            },
          },
        },
      },
    });
    expect([...metrics.keys()]).toEqual(['prometheus', 'prometheus:istio']);

    fake.handler = () => vector([{ value: '7' }]);
    const sample = await metrics.get('prometheus:istio')!.sample(
      {
        namespace: 'default',
        name: 'shop',
        router: 'istio',
        metrics: 'prometheus:istio',
        workload: 'kubernetes',
      },
      'canary',
      { start: new Date(0), end: new Date(60_000) },
    );
    expect(sample).toEqual({ requests: 7, errors: 7 });
    expect(fake.received.map(r => r.headers.authorization)).toEqual([
      'Bearer abc',
      'Bearer abc',
    ]);
    expect(fake.queries[0]).toBe(
      'sum(increase(istio_requests_total{destination_workload="shop-canary"}[1m]))',
    );
  });

  it('refuses to start with an invalid configuration', async () => {
    await expect(
      startModule({
        canary: {
          prometheus: {
            baseUrl: fake.url,
            queries: { requests: 'sum(x{app={{app}}})' },
          },
        },
      }),
    ).rejects.toThrow(
      /Invalid query template canary\.prometheus\.queries\.requests: \{\{app\}\} is a label value/,
    );
  });
});
