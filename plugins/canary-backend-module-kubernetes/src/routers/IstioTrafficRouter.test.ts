import { InputError } from '@backstage/errors';
import { DEFAULT_REQUEST_MATCHES } from '../config';
import { diff } from '../kube/jsonPatch';
import { applyJsonPatch } from '../__testUtils__/patches';
import { VirtualService, plannedHttpRoutes } from './IstioTrafficRouter';
import type { WeightPlan } from './RouteTrafficRouter';
import type { RoutingSettings } from './routing';

const WHERE = 'VirtualService shop/shop';

/** A VirtualService as a service owner writes it: a header route, the weighted route, a fallback. */
function virtualService(): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'shop', namespace: 'shop', resourceVersion: '7' },
    spec: {
      hosts: ['shop.example.com'],
      gateways: ['public'],
      http: [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'admin' } }],
        },
        {
          name: 'primary',
          match: [{ uri: { prefix: '/api' } }, { uri: { exact: '/' } }],
          retries: { attempts: 3 },
          route: [
            {
              destination: {
                host: 'shop',
                subset: 'stable',
                port: { number: 80 },
              },
              weight: 100,
            },
            {
              destination: {
                host: 'shop',
                subset: 'canary',
                port: { number: 80 },
              },
              weight: 0,
            },
          ],
        },
        { name: 'fallback', route: [{ destination: { host: 'static' } }] },
      ],
    },
  };
}

function plan(
  canary: number,
  routing: Partial<RoutingSettings> = {},
  baselineRunning = false,
): WeightPlan {
  return {
    name: 'shop',
    weights: { stable: 100 - canary, canary },
    baselineRunning,
    routing: { requestMatches: [], ...routing },
  };
}

const routeNamed = (routes: any[], name: string) =>
  routes.find(r => r.name === name);

describe('plannedHttpRoutes', () => {
  it('weighs the stable and canary destinations and leaves every other route and field as it is', () => {
    const vs = virtualService();
    const routes = plannedHttpRoutes(vs, plan(25), WHERE);
    expect(routes).toEqual([
      vs.spec.http![0],
      {
        ...vs.spec.http![1],
        route: [
          { ...vs.spec.http![1].route![0], weight: 75 },
          { ...vs.spec.http![1].route![1], weight: 25 },
        ],
      },
      vs.spec.http![2],
    ]);
  });

  it('recognises destinations by host too, short or fully qualified', () => {
    const vs = virtualService();
    vs.spec.http![1].route = [
      { destination: { host: 'shop.shop.svc.cluster.local' } },
      { destination: { host: 'shop-canary' } },
    ];
    const routes = plannedHttpRoutes(vs, plan(5), WHERE);
    expect(routes[1].route!.map(r => r.weight)).toEqual([95, 5]);
  });

  it('adds a request-based route before the weighted one while the canary takes traffic, and removes it at 0 %', () => {
    const vs = virtualService();
    const routing = {
      requestMatches: [
        ...DEFAULT_REQUEST_MATCHES,
        { kind: 'cookie' as const, name: 'beta', value: 'yes' },
        { kind: 'userAgent' as const, regex: '.*Mobile.*' },
      ],
    };
    const routes = plannedHttpRoutes(vs, plan(5, routing), WHERE);
    expect(routes.map(r => r.name)).toEqual([
      'admin',
      'canary-release.primary',
      'primary',
      'fallback',
    ]);
    const forced = routeNamed(routes, 'canary-release.primary');
    // The weighted route's own matches, each combined with each condition.
    expect(forced.match).toEqual([
      { uri: { prefix: '/api' }, headers: { canary: { exact: 'true' } } },
      {
        uri: { prefix: '/api' },
        headers: { cookie: { regex: '^(.*;\\s*)?beta=(yes)(;.*)?$' } },
      },
      {
        uri: { prefix: '/api' },
        headers: { 'user-agent': { regex: '.*Mobile.*' } },
      },
      { uri: { exact: '/' }, headers: { canary: { exact: 'true' } } },
      {
        uri: { exact: '/' },
        headers: { cookie: { regex: '^(.*;\\s*)?beta=(yes)(;.*)?$' } },
      },
      {
        uri: { exact: '/' },
        headers: { 'user-agent': { regex: '.*Mobile.*' } },
      },
    ]);
    expect(forced.retries).toEqual({ attempts: 3 });
    expect(forced.route).toEqual([
      {
        destination: { host: 'shop', subset: 'canary', port: { number: 80 } },
        weight: 100,
      },
    ]);

    const forcedAway = plannedHttpRoutes(
      { ...vs, spec: { ...vs.spec, http: routes } },
      plan(0, routing),
      WHERE,
    );
    expect(forcedAway).toEqual(vs.spec.http);
  });

  it('does not combine a condition with a match that tests the same header already', () => {
    const vs = virtualService();
    vs.spec.http![1].match = [
      { headers: { canary: { exact: 'no' } } },
      { uri: { prefix: '/' } },
    ];
    const routes = plannedHttpRoutes(
      vs,
      plan(5, { requestMatches: DEFAULT_REQUEST_MATCHES }),
      WHERE,
    );
    expect(routeNamed(routes, 'canary-release.primary').match).toEqual([
      { uri: { prefix: '/' }, headers: { canary: { exact: 'true' } } },
    ]);
  });

  it('keeps a user on the canary with a sticky cookie whose token lives as long as the rollout', () => {
    const vs = virtualService();
    const sticky = { cookieName: 'canary-session', maxAgeSeconds: 600 };
    const first = plannedHttpRoutes(
      vs,
      plan(5, { sticky }),
      WHERE,
      () => 'abc123',
    );
    const canary = routeNamed(first, 'primary').route[1];
    expect(canary.headers).toEqual({
      response: {
        add: { 'Set-Cookie': 'canary-session=abc123; Max-Age=600; Path=/' },
      },
    });
    expect(routeNamed(first, 'canary-release.primary').match).toEqual([
      {
        uri: { prefix: '/api' },
        headers: {
          cookie: { regex: '^(.*;\\s*)?canary-session=(abc123)(;.*)?$' },
        },
      },
      {
        uri: { exact: '/' },
        headers: {
          cookie: { regex: '^(.*;\\s*)?canary-session=(abc123)(;.*)?$' },
        },
      },
    ]);
    // The next stage keeps the token; the end of the rollout removes cookie and route.
    const next = plannedHttpRoutes(
      { ...vs, spec: { ...vs.spec, http: first } },
      plan(50, { sticky }),
      WHERE,
      () => 'other',
    );
    expect(
      routeNamed(next, 'primary').route[1].headers.response.add['Set-Cookie'],
    ).toMatch(/=abc123;/);
    const done = plannedHttpRoutes(
      { ...vs, spec: { ...vs.spec, http: next } },
      plan(0, { sticky }),
      WHERE,
    );
    expect(done).toEqual(vs.spec.http);
  });

  it('keeps the canary destination’s own answer headers next to the sticky cookie', () => {
    const vs = virtualService();
    vs.spec.http![1].route![1].headers = {
      response: { add: { 'x-arm': 'canary' } },
      request: { set: { a: 'b' } },
    };
    const sticky = { cookieName: 's', maxAgeSeconds: 60 };
    const on = plannedHttpRoutes(vs, plan(5, { sticky }), WHERE, () => 'ff');
    expect(routeNamed(on, 'primary').route[1].headers).toEqual({
      response: {
        add: { 'x-arm': 'canary', 'Set-Cookie': 's=ff; Max-Age=60; Path=/' },
      },
      request: { set: { a: 'b' } },
    });
    const off = plannedHttpRoutes(
      { ...vs, spec: { ...vs.spec, http: on } },
      plan(0, { sticky }),
      WHERE,
    );
    expect(off).toEqual(vs.spec.http);
  });

  it('gives a running baseline as much traffic as the canary, taken from stable', () => {
    const vs = virtualService();
    vs.spec.http![1].route!.push({
      destination: { host: 'shop', subset: 'baseline' },
      weight: 0,
    });
    const weights = (canary: number, baselineRunning: boolean) =>
      routeNamed(
        plannedHttpRoutes(vs, plan(canary, {}, baselineRunning), WHERE),
        'primary',
      ).route.map((r: any) => r.weight);
    expect(weights(5, true)).toEqual([90, 5, 5]);
    expect(weights(60, true)).toEqual([0, 60, 40]);
    expect(weights(5, false)).toEqual([95, 5, 0]);
    expect(weights(0, true)).toEqual([100, 0, 0]);
  });

  it('names what is wrong with a VirtualService it cannot weigh', () => {
    const vs = virtualService();
    vs.spec.http!.splice(1, 1);
    expect(() => plannedHttpRoutes(vs, plan(5), WHERE)).toThrow(InputError);
    expect(() => plannedHttpRoutes(vs, plan(5), WHERE)).toThrow(
      'VirtualService shop/shop has no HTTP route with both a stable and a canary destination: expected destinations with host shop and subsets stable and canary, or hosts shop and shop-canary',
    );
    const mixed = virtualService();
    mixed.spec.http![1].route!.push({
      destination: { host: 'legacy' },
      weight: 0,
    });
    expect(() => plannedHttpRoutes(mixed, plan(5), WHERE)).toThrow(
      /HTTP route primary sends traffic to destinations other than one stable, one canary and at most one baseline/,
    );
  });

  it('produces a patch that touches only the weights when no route is added or removed', () => {
    const vs = virtualService();
    const operations = diff(
      vs.spec.http,
      plannedHttpRoutes(vs, plan(10), WHERE),
      '/spec/http',
    );
    expect(operations).toEqual([
      { op: 'replace', path: '/spec/http/1/route/0/weight', value: 90 },
      { op: 'replace', path: '/spec/http/1/route/1/weight', value: 10 },
    ]);
    expect(
      (applyJsonPatch(vs, operations) as VirtualService).spec.http![1].route![1]
        .weight,
    ).toBe(10);
  });
});
