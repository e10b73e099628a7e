import { ConfigReader } from '@backstage/config';
import { readModuleSettings } from './config';

const read = (config: object) => readModuleSettings(new ConfigReader(config));
const withKubernetes = (kubernetes: object) => read({ canary: { kubernetes } });
const cluster = (entry: object) => ({
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [{ name: 'prod', url: 'https://10.0.0.1:6443', ...entry }],
      },
    ],
  },
});

describe('readModuleSettings', () => {
  it('has defaults for everything', () => {
    expect(read({})).toEqual({
      clusters: [],
      skippedClusters: [],
      requestPolicy: {
        timeoutMs: 10_000,
        attempts: 4,
        initialBackoffMs: 200,
        maxBackoffMs: 5000,
      },
      conflictAttempts: 5,
      istioApiVersion: 'v1',
      routing: {
        requestMatches: [{ kind: 'header', name: 'canary', value: 'true' }],
      },
      workload: {
        container: undefined,
        scaling: { mode: 'proportional', minReplicas: 1 },
      },
      allowedNamespaces: new Map(),
    });
  });

  it('reads the allowed namespaces per cluster, and refuses what is no namespace or Kubernetes’ own', () => {
    expect(
      withKubernetes({
        allowedNamespaces: {
          production: ['shop', 'payments'],
          'eu.staging': ['shop'],
          dev: [],
        },
      }).allowedNamespaces,
    ).toEqual(
      new Map([
        ['production', new Set(['shop', 'payments'])],
        ['eu.staging', new Set(['shop'])],
        ['dev', new Set()],
      ]),
    );
    expect(() =>
      withKubernetes({ allowedNamespaces: { production: 'shop' } }),
    ).toThrow(
      'Invalid config canary.kubernetes.allowedNamespaces.production: expected a list of namespace names',
    );
    expect(() =>
      withKubernetes({ allowedNamespaces: { production: ['Shop_1'] } }),
    ).toThrow(
      'Invalid config canary.kubernetes.allowedNamespaces.production: "Shop_1" is not a namespace name',
    );
    expect(() =>
      withKubernetes({ allowedNamespaces: { production: ['kube-system'] } }),
    ).toThrow(
      "Invalid config canary.kubernetes.allowedNamespaces.production: kube-system is one of Kubernetes' own namespaces (kube- prefix); canary releases cannot act there",
    );
    expect(() => withKubernetes({ allowedNamespaces: ['shop'] })).toThrow(
      'Invalid config canary.kubernetes.allowedNamespaces: expected an object of cluster name: [namespaces]',
    );
  });

  it('reads the clusters of the Kubernetes plugin’s config entries, as that plugin does', () => {
    const settings = read({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'catalog' },
          {
            type: 'config',
            clusters: [
              {
                name: 'prod',
                url: 'https://10.0.0.1:6443',
                authProvider: 'serviceAccount',
                serviceAccountToken: 't',
                caData: 'Y2E=',
              },
              {
                name: 'local',
                url: 'http://127.0.0.1:8001',
                authMetadata: {
                  'kubernetes.io/auth-provider': 'serviceAccount',
                },
                skipTLSVerify: true,
              },
              { name: 'gke', url: 'https://gke', authProvider: 'google' },
            ],
          },
        ],
      },
    });
    expect(settings.clusters).toEqual([
      {
        name: 'prod',
        url: 'https://10.0.0.1:6443',
        serviceAccountToken: 't',
        caData: 'Y2E=',
        caFile: undefined,
        skipTLSVerify: false,
      },
      {
        name: 'local',
        url: 'http://127.0.0.1:8001',
        serviceAccountToken: undefined,
        caData: undefined,
        caFile: undefined,
        skipTLSVerify: true,
      },
    ]);
    expect(settings.skippedClusters).toEqual([
      {
        name: 'gke',
        reason:
          'its auth provider is google; the canary module supports serviceAccount only',
      },
    ]);
  });

  it.each([
    [cluster({}), /cluster 'prod' has no auth provider configured/],
    [
      cluster({ authProvider: 'serviceAccount', url: 'http://10.0.0.1' }),
      /clusters\[0\].url: http:\/\/10.0.0.1: use https \(plain http only with skipTLSVerify: true\)/,
    ],
    [
      cluster({ authProvider: 'serviceAccount', url: 'not a url' }),
      /"not a url" is not a URL/,
    ],
  ])('refuses a cluster it could not reach (%#)', (config, error) => {
    expect(() => read(config)).toThrow(error);
  });

  it('reads kubeconfig, inCluster, timeouts and retries', () => {
    const settings = withKubernetes({
      kubeconfig: { path: '/etc/kube/config', contexts: ['dev'] },
      inCluster: { name: 'home' },
      requestTimeout: '3s',
      retries: {
        attempts: 2,
        initialBackoff: '50ms',
        maxBackoff: { seconds: 1 },
      },
      conflictAttempts: 9,
      istio: { apiVersion: 'v1beta1' },
      workload: { container: 'app', scaling: { mode: 'off', minReplicas: 2 } },
    });
    expect(settings).toMatchObject({
      kubeconfig: { path: '/etc/kube/config', contexts: ['dev'] },
      inCluster: { name: 'home' },
      requestPolicy: {
        timeoutMs: 3000,
        attempts: 2,
        initialBackoffMs: 50,
        maxBackoffMs: 1000,
      },
      conflictAttempts: 9,
      istioApiVersion: 'v1beta1',
      workload: { container: 'app', scaling: { mode: 'off', minReplicas: 2 } },
    });
    expect(
      withKubernetes({ inCluster: { enabled: false } }).inCluster,
    ).toBeUndefined();
    expect(withKubernetes({ inCluster: {} }).inCluster).toEqual({
      name: 'in-cluster',
    });
  });

  it('reads request matches and sticky sessions', () => {
    const { routing } = withKubernetes({
      routing: {
        requestMatches: [
          { header: { name: 'x-group', regex: 'staff|qa' } },
          { cookie: { name: 'beta', value: 'yes' } },
          { userAgent: { regex: '.*Mobile.*' } },
        ],
        stickySessions: { enabled: true, maxAge: '30m' },
      },
    });
    expect(routing).toEqual({
      requestMatches: [
        {
          kind: 'header',
          name: 'x-group',
          value: undefined,
          regex: 'staff|qa',
        },
        { kind: 'cookie', name: 'beta', value: 'yes', regex: undefined },
        { kind: 'userAgent', regex: '.*Mobile.*' },
      ],
      sticky: { cookieName: 'canary-release-session', maxAgeSeconds: 1800 },
    });
    expect(withKubernetes({ routing: { requestMatches: [] } }).routing).toEqual(
      { requestMatches: [] },
    );
  });

  it.each([
    [
      {
        routing: {
          requestMatches: [
            {
              header: { name: 'a', value: 'b' },
              cookie: { name: 'c', value: 'd' },
            },
          ],
        },
      },
      'canary.kubernetes.routing.requestMatches[0]: expected exactly one of header, cookie, userAgent',
    ],
    [
      {
        routing: {
          requestMatches: [{ header: { name: 'a', value: 'b', regex: 'c' } }],
        },
      },
      'requestMatches[0].header: expected exactly one of value, regex',
    ],
    [
      {
        routing: { requestMatches: [{ header: { name: 'a b', value: 'c' } }] },
      },
      'requestMatches[0].header.name: "a b" is not a valid name',
    ],
    [
      { routing: { requestMatches: [{ userAgent: { regex: '(' } }] } },
      'requestMatches[0].userAgent.regex: SyntaxError',
    ],
    [
      { routing: { stickySessions: { enabled: true, cookieName: 'a;b' } } },
      'stickySessions.cookieName: "a;b" is not a valid cookie name',
    ],
    [
      { workload: { scaling: { mode: 'auto' } } },
      'canary.kubernetes.workload.scaling.mode: auto, expected proportional or off',
    ],
    [
      { workload: { scaling: { minReplicas: 0 } } },
      'canary.kubernetes.workload.scaling.minReplicas: 0, expected an integer 1-1000',
    ],
    [
      { retries: { attempts: 11 } },
      'canary.kubernetes.retries.attempts: 11, expected an integer 1-10',
    ],
    [
      { retries: { initialBackoff: '2s', maxBackoff: '1s' } },
      'canary.kubernetes.retries.maxBackoff: is shorter than initialBackoff',
    ],
    [
      { istio: { apiVersion: 'v1alpha3' } },
      'canary.kubernetes.istio.apiVersion: v1alpha3, expected v1 or v1beta1',
    ],
    [
      { requestTimeout: { months: 1 } },
      'canary.kubernetes.requestTimeout: use weeks or shorter units, not months',
    ],
    [
      { conflictAttempts: 0 },
      'canary.kubernetes.conflictAttempts: 0, expected an integer 1-20',
    ],
  ])(
    'refuses invalid config with an error naming the key (%#)',
    (kubernetes, message) => {
      expect(() => withKubernetes(kubernetes)).toThrow(message);
    },
  );
});
