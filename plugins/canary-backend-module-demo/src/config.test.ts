import { ConfigReader } from '@backstage/config';
import { DEFAULT_DEMO_WORKLOAD, readDemoConfig } from './config';

function read(demo: unknown) {
  return readDemoConfig(new ConfigReader({ canary: { demo } } as any));
}

describe('readDemoConfig', () => {
  it('is off without the canary.demo block, or with enabled: false', () => {
    expect(readDemoConfig(new ConfigReader({}))).toBeUndefined();
    expect(readDemoConfig(new ConfigReader({ canary: {} }))).toBeUndefined();
    expect(read(null)).toBeUndefined();
    expect(read({ enabled: false })).toBeUndefined();
  });

  it('fills in defaults for an empty block', () => {
    expect(read({})).toEqual({
      stableVersion: '1.0.0',
      requestsPerSecond: 100,
      startupDelayMs: 1000,
      workloads: [DEFAULT_DEMO_WORKLOAD],
      versions: {},
    });
    expect(DEFAULT_DEMO_WORKLOAD).toEqual({
      name: 'demo-shop',
      namespace: 'default',
      port: 0,
    });
  });

  it('reads every key', () => {
    expect(
      read({
        enabled: true,
        stableVersion: '2.0.0',
        requestsPerSecond: 20,
        startupDelayMs: 0,
        workloads: [
          { name: 'a' },
          { name: 'a', namespace: 'team', port: 8765 },
        ],
        versions: {
          '2.1.0': { errorRate: 0.2 },
          '2.2.0': { latencyMs: 50 },
          '2.3.0': { errorRate: 0.06, regressAfterMs: 45_000 },
        },
      }),
    ).toEqual({
      stableVersion: '2.0.0',
      requestsPerSecond: 20,
      startupDelayMs: 0,
      workloads: [
        { name: 'a', namespace: 'default', port: 0 },
        { name: 'a', namespace: 'team', port: 8765 },
      ],
      versions: {
        '2.1.0': { errorRate: 0.2 },
        '2.2.0': { latencyMs: 50 },
        '2.3.0': { errorRate: 0.06, regressAfterMs: 45_000 },
      },
    });
  });

  it('reads the world API port and the remote world', () => {
    expect(read({ worldApi: {} })?.worldApiPort).toBe(0);
    expect(read({ worldApi: { port: 7001 } })?.worldApiPort).toBe(7001);
    expect(read({})?.worldApiPort).toBeUndefined();
    expect(read({ remote: 'http://127.0.0.1:7001' })?.remote).toBe(
      'http://127.0.0.1:7001',
    );
  });

  it.each([
    [{ worldApi: { port: -1 } }, /worldApi\.port/],
    [{ remote: 'ftp://127.0.0.1' }, /canary\.demo\.remote/],
    [{ remote: 'not a url' }, /canary\.demo\.remote/],
    [
      { remote: 'http://127.0.0.1:7001', worldApi: {} },
      /remote world .* no world to serve/,
    ],
    [{ requestsPerSecond: -1 }, /requestsPerSecond/],
    [{ requestsPerSecond: 5000 }, /requestsPerSecond/],
    [{ startupDelayMs: -5 }, /startupDelayMs/],
    [{ workloads: [{ name: 'a', port: 1.5 }] }, /workloads\[0\]\.port/],
    [{ workloads: [{ name: 'a', port: 70000 }] }, /workloads\[0\]\.port/],
    [{ workloads: [{ namespace: 'x' }] }, /name/],
    [
      { workloads: [{ name: 'a' }, { name: 'a' }] },
      /default\/a is listed twice/,
    ],
    [{ versions: ['1.0.0'] }, /versions/],
    [{ versions: { '1.2.0': 5 } }, /versions\['1\.2\.0'\]/],
    [{ versions: { '1.2.0': { errorRate: 2 } } }, /errorRate/],
    [{ versions: { '1.2.0': { latencyMs: -1 } } }, /latencyMs/],
    ...[-1, 86_400_001, Infinity, '45s', '45000', true].map(
      (value): [unknown, RegExp] => [
        { versions: { '1.4.0': { regressAfterMs: value } } },
        /^Invalid config canary\.demo\.versions\['1\.4\.0'\]\.regressAfterMs: .*, expected a number in 0-86400000$/,
      ],
    ),
    [
      { versions: { '1.2.0': { errorrate: 0.1 } } },
      /unknown field 'errorrate', expected errorRate, latencyMs or regressAfterMs/,
    ],
    [
      { versions: { '1.4.0': { regressAfter: 45_000 } } },
      /unknown field 'regressAfter'/,
    ],
  ])('rejects %j', (demo, message) => {
    expect(() => read(demo)).toThrow(message);
  });
});
