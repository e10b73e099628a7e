import { InputError } from '@backstage/errors';
import { DEFAULT_REQUEST_MATCHES } from '../config';
import { diff } from '../kube/jsonPatch';
import {
  HttpRoute,
  OWNED_RULE_HEADER,
  plannedRules,
} from './GatewayApiTrafficRouter';
import type { WeightPlan } from './RouteTrafficRouter';
import type { RoutingSettings } from './routing';

const WHERE = 'HTTPRoute shop/shop';

/** An HTTPRoute as the API server stores it (defaults filled in): a static rule and the weighted rule. */
function httpRoute(): HttpRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'shop', namespace: 'shop', resourceVersion: '3' },
    spec: {
      parentRefs: [{ name: 'public-gateway' }],
      hostnames: ['shop.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/static' } }],
          backendRefs: [
            { group: '', kind: 'Service', name: 'static', port: 80, weight: 1 },
          ],
        },
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: '/' },
              headers: [{ type: 'Exact', name: 'x-tenant', value: 'eu' }],
            },
          ],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { add: [{ name: 'x-via', value: 'gw' }] },
            },
          ],
          backendRefs: [
            {
              group: '',
              kind: 'Service',
              name: 'shop',
              port: 8080,
              weight: 100,
            },
            {
              group: '',
              kind: 'Service',
              name: 'shop-canary',
              port: 8080,
              weight: 0,
            },
          ],
        },
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

describe('plannedRules', () => {
  it('weighs the two backendRefs of the weighted rule and touches nothing else', () => {
    const route = httpRoute();
    const rules = plannedRules(route, plan(30), WHERE);
    expect(diff(route.spec.rules, rules, '/spec/rules')).toEqual([
      { op: 'replace', path: '/spec/rules/1/backendRefs/0/weight', value: 70 },
      { op: 'replace', path: '/spec/rules/1/backendRefs/1/weight', value: 30 },
    ]);
  });

  it('adds a more specific rule to the canary for the request matches, marked by a request header, and removes it at 0 %', () => {
    const route = httpRoute();
    const routing = {
      requestMatches: [
        ...DEFAULT_REQUEST_MATCHES,
        { kind: 'userAgent' as const, regex: '.*Mobile.*' },
      ],
    };
    const rules = plannedRules(route, plan(5, routing), WHERE);
    expect(rules).toHaveLength(3);
    const forced = rules[1];
    expect(forced.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { type: 'Exact', name: 'x-tenant', value: 'eu' },
          { type: 'Exact', name: 'canary', value: 'true' },
        ],
      },
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { type: 'Exact', name: 'x-tenant', value: 'eu' },
          {
            type: 'RegularExpression',
            name: 'user-agent',
            value: '.*Mobile.*',
          },
        ],
      },
    ]);
    expect(forced.filters).toEqual([
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: {
          add: [{ name: 'x-via', value: 'gw' }],
          set: [OWNED_RULE_HEADER],
        },
      },
    ]);
    expect(forced.backendRefs).toEqual([
      {
        group: '',
        kind: 'Service',
        name: 'shop-canary',
        port: 8080,
        weight: 1,
      },
    ]);
    expect(rules[2].backendRefs!.map(r => r.weight)).toEqual([95, 5]);

    const back = plannedRules(
      { ...route, spec: { ...route.spec, rules } },
      plan(0, routing),
      WHERE,
    );
    expect(back).toEqual(route.spec.rules);
  });

  it('matches every path when the weighted rule has no matches', () => {
    const route = httpRoute();
    delete route.spec.rules![1].matches;
    const rules = plannedRules(
      route,
      plan(5, { requestMatches: DEFAULT_REQUEST_MATCHES }),
      WHERE,
    );
    expect(rules[1].matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'Exact', name: 'canary', value: 'true' }],
      },
    ]);
  });

  it('sets the sticky cookie on the canary backend and removes it without a trace', () => {
    const route = httpRoute();
    const sticky = { cookieName: 'canary-session', maxAgeSeconds: 60 };
    const rules = plannedRules(route, plan(5, { sticky }), WHERE, () => '0a0b');
    expect(rules[2].backendRefs![1].filters).toEqual([
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: {
          add: [
            {
              name: 'Set-Cookie',
              value: 'canary-session=0a0b; Max-Age=60; Path=/',
            },
          ],
        },
      },
    ]);
    expect(rules[1].matches![0].headers).toContainEqual({
      type: 'RegularExpression',
      name: 'cookie',
      value: '^(.*;\\s*)?canary-session=(0a0b)(;.*)?$',
    });
    const again = plannedRules(
      { ...route, spec: { ...route.spec, rules } },
      plan(25, { sticky }),
      WHERE,
      () => 'new',
    );
    expect(
      again[2].backendRefs![1].filters![0].responseHeaderModifier!.add![0]
        .value,
    ).toMatch(/=0a0b;/);
    expect(
      plannedRules(
        { ...route, spec: { ...route.spec, rules: again } },
        plan(0, { sticky }),
        WHERE,
      ),
    ).toEqual(route.spec.rules);
  });

  it('gives a running baseline backend the canary’s share', () => {
    const route = httpRoute();
    route.spec.rules![1].backendRefs!.push({
      group: '',
      kind: 'Service',
      name: 'shop-baseline',
      port: 8080,
      weight: 0,
    });
    const rules = plannedRules(route, plan(10, {}, true), WHERE);
    expect(rules[1].backendRefs!.map(r => r.weight)).toEqual([80, 10, 10]);
  });

  it('refuses rules it cannot weigh, naming the route', () => {
    const route = httpRoute();
    route.spec.rules![1].backendRefs![1].kind = 'ServiceImport';
    expect(() => plannedRules(route, plan(5), WHERE)).toThrow(InputError);
    expect(() => plannedRules(route, plan(5), WHERE)).toThrow(
      'HTTPRoute shop/shop has no rule with both a stable and a canary backend: expected backendRefs to the Services shop and shop-canary',
    );
    const mixed = httpRoute();
    mixed.spec.rules![1].backendRefs!.push({ name: 'legacy', weight: 0 });
    expect(() => plannedRules(mixed, plan(5), WHERE)).toThrow(
      /backends other than one stable, one canary/,
    );
  });
});
