import { InputError } from '@backstage/errors';
import type { Weights } from '@canary-release/backstage-plugin-canary-common';
import type { KubeClients } from '../clusters/KubeClients';
import { JsonPatchOperation, diff } from '../kube/jsonPatch';
import { KubeObject, ResourceType, virtualServices } from '../kube/resources';
import { Arm, armOfService, armOfSubset } from '../names';
import { RouteTrafficRouter, WeightPlan } from './RouteTrafficRouter';
import {
  ArmIndexes,
  HeaderCondition,
  RouteShape,
  RoutingSettings,
  Split,
  StickySessions,
  newStickyToken,
  planRoutes,
  stickyCookie,
  tokenOfStickyCookie,
  mostCanaryWeights,
  withField,
} from './routing';

/** Istio's StringMatch. */
interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** Istio's HTTPMatchRequest (fields this router does not read pass through). */
interface HttpMatchRequest {
  headers?: Record<string, StringMatch>;
  [field: string]: unknown;
}

/** Istio's Headers: request and response header operations. */
interface HeaderOperations {
  add?: Record<string, string>;
  [field: string]: unknown;
}

/** Istio's HTTPRouteDestination. */
interface RouteDestination {
  destination: { host: string; subset?: string; [field: string]: unknown };
  weight?: number;
  headers?: { request?: HeaderOperations; response?: HeaderOperations };
  [field: string]: unknown;
}

/** Istio's HTTPRoute. */
interface HttpRoute {
  name?: string;
  match?: HttpMatchRequest[];
  route?: RouteDestination[];
  [field: string]: unknown;
}

/** An Istio VirtualService. */
export interface VirtualService extends KubeObject {
  spec: { http?: HttpRoute[]; [field: string]: unknown };
}

/** The kind the router is registered under (`canary.backstage.io/router: istio`). */
export const ISTIO_ROUTER_KIND = 'istio';

/** Names of the HTTP routes this router adds (and removes): request-based routes to the canary. */
export const OWNED_ROUTE_PREFIX = 'canary-release.';

/** The arm a destination stands for: by subset of the stable host, or by host. */
function armOfDestination(
  entry: RouteDestination,
  name: string,
): Arm | undefined {
  const { host, subset } = entry.destination ?? {};
  if (typeof host !== 'string') return undefined;
  if (subset === undefined) return armOfService(host, name);
  return armOfService(host, name) === 'stable'
    ? armOfSubset(subset)
    : undefined;
}

/** Where the arms are in a weighted route's destinations. */

function isOwned(route: HttpRoute) {
  return route.name?.startsWith(OWNED_ROUTE_PREFIX) ?? false;
}

/**
 * The arms' places in `route` when it is a weighted route (one stable and one canary
 * destination, and maybe a baseline); `undefined` for other routes. An InputError when a route
 * mixes the arms with other destinations, which the router cannot weigh.
 */
function armIndexes(
  route: HttpRoute,
  name: string,
  where: string,
): ArmIndexes | undefined {
  const entries = route.route ?? [];
  const arms = entries.map(entry => armOfDestination(entry, name));
  const count = (arm: Arm) => arms.filter(a => a === arm).length;
  if (count('stable') === 0 || count('canary') === 0) return undefined;
  const label = `${where}, HTTP route ${route.name ?? '(unnamed)'}`;
  if (arms.includes(undefined) || arms.length !== new Set(arms).size) {
    throw new InputError(
      `${label} sends traffic to destinations other than one stable, one canary and at most one baseline: ${JSON.stringify(
        entries.map(entry => entry.destination),
      )}`,
    );
  }
  const baseline = arms.indexOf('baseline');
  return {
    stable: arms.indexOf('stable'),
    canary: arms.indexOf('canary'),
    ...(baseline >= 0 && { baseline }),
  };
}

/** The weighted routes of a VirtualService (owned routes left out), with their arms' places. */
function weightedRoutes(vs: VirtualService, name: string, where: string) {
  const routes = (vs.spec?.http ?? []).filter(route => !isOwned(route));
  const weighted = routes.map(route => armIndexes(route, name, where));
  if (!weighted.some(Boolean)) {
    throw new InputError(
      `${where} has no HTTP route with both a stable and a canary destination: expected destinations with host ${name} and subsets stable and canary, or hosts ${name} and ${name}-canary`,
    );
  }
  return { routes, weighted };
}

/** What a weighted route's weights send to each arm (Istio: a lone destination takes all). */
function splitOfRoute(route: HttpRoute, arms: ArmIndexes): Split {
  const entries = route.route!;
  const weight = (index: number | undefined) =>
    index === undefined
      ? 0
      : entries[index].weight ?? (entries.length === 1 ? 100 : 0);
  return {
    stable: weight(arms.stable),
    canary: weight(arms.canary),
    baseline: weight(arms.baseline),
  };
}

/** The canary destination with the sticky Set-Cookie answer header added (token) or removed. */
function withStickyCookie(
  entry: RouteDestination,
  sticky: StickySessions | undefined,
  token: string | undefined,
  where: string,
): RouteDestination {
  if (!sticky) return entry;
  const headers = entry.headers ?? {};
  const response = headers.response ?? {};
  const { 'Set-Cookie': current, ...otherAdds } = response.add ?? {};
  const ours = tokenOfStickyCookie(sticky, current) !== undefined;
  if (current !== undefined && !ours) {
    if (!token) return entry;
    throw new InputError(
      `${where}: the canary destination already adds a Set-Cookie header (${current}); sticky sessions cannot add theirs`,
    );
  }
  const add = token
    ? { ...otherAdds, 'Set-Cookie': stickyCookie(sticky, token) }
    : otherAdds;
  const nextResponse = withField(response, 'add', add);
  const nextHeaders = withField(headers, 'response', nextResponse);
  return withField(entry, 'headers', nextHeaders);
}

function toStringMatch(condition: HeaderCondition): StringMatch {
  return condition.exact !== undefined
    ? { exact: condition.exact }
    : { regex: condition.regex! };
}

/**
 * The request-based route placed before a weighted route: the same route (rewrites, timeouts,
 * retries...) restricted to requests that also meet one of `conditions`, sent all to the canary.
 * A condition on a header the route's own match already tests is left out for that match.
 */
function forcedRoute(
  route: HttpRoute,
  arms: ArmIndexes,
  conditions: HeaderCondition[],
  index: number,
): HttpRoute | undefined {
  const matches = route.match?.length ? route.match : [{}];
  const match = matches.flatMap(m =>
    conditions
      .filter(c => !(m.headers && c.header in m.headers))
      .map(c => ({
        ...m,
        headers: { ...m.headers, [c.header]: toStringMatch(c) },
      })),
  );
  if (match.length === 0) return undefined;
  return {
    ...route,
    name: `${OWNED_ROUTE_PREFIX}${route.name ?? `route-${index}`}`,
    match,
    route: [{ ...route.route![arms.canary], weight: 100 }],
  };
}

/** How Istio HTTP routes hold their destinations: the `route` entries. */
const ISTIO_ROUTES: RouteShape<HttpRoute, RouteDestination> = {
  destinations: route => route.route!,
  withDestinations: (route, entries) => ({ ...route, route: entries }),
  withWeight: (entry, weight) => ({ ...entry, weight }),
  stickyToken: (entry, sticky) =>
    tokenOfStickyCookie(sticky, entry.headers?.response?.add?.['Set-Cookie']),
  withStickyCookie,
  forcedRoute,
};

/** The HTTP routes of `vs` as `plan` wants them (see `planRoutes`). */
export function plannedHttpRoutes(
  vs: VirtualService,
  plan: WeightPlan,
  where: string,
  newToken: () => string = newStickyToken,
): HttpRoute[] {
  const { routes, weighted } = weightedRoutes(vs, plan.name, where);
  return planRoutes(ISTIO_ROUTES, routes, weighted, plan, where, newToken);
}

/**
 * Weighs the stable and canary destinations of an Istio VirtualService's HTTP routes.
 *
 * Destinations are recognised by subset of the workload's host (`<name>` with subsets `stable`,
 * `canary`, `baseline`) or by host (`<name>`, `<name>-canary`, `<name>-baseline`, short or fully
 * qualified). Every HTTP route with both a stable and a canary destination is weighted; other
 * routes are left as they are. Request-based routes this router adds are named
 * `canary-release.<route>`.
 */
export class IstioTrafficRouter extends RouteTrafficRouter<VirtualService> {
  protected readonly type: ResourceType;

  constructor(
    clients: KubeClients,
    options: {
      routing: RoutingSettings;
      conflictAttempts: number;
      apiVersion: 'v1' | 'v1beta1';
    },
  ) {
    super(clients, options);
    this.type = virtualServices(options.apiVersion);
  }

  private where(vs: VirtualService) {
    return `VirtualService ${vs.metadata.namespace}/${vs.metadata.name}`;
  }

  protected readWeights(vs: VirtualService, name: string): Weights {
    const where = this.where(vs);
    const { routes, weighted } = weightedRoutes(vs, name, where);
    return mostCanaryWeights(
      weighted.map((arms, i) =>
        arms ? splitOfRoute(routes[i], arms) : undefined,
      ),
      where,
    );
  }

  protected planPatch(
    vs: VirtualService,
    plan: WeightPlan,
  ): JsonPatchOperation[] {
    return diff(
      vs.spec.http,
      plannedHttpRoutes(vs, plan, this.where(vs)),
      '/spec/http',
    );
  }
}
