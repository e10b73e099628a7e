import { InputError } from '@backstage/errors';
import type { Weights } from '@canary-release/backstage-plugin-canary-common';
import { randomBytes } from 'node:crypto';
import type { Arm } from '../names';
import type { WeightPlan } from './RouteTrafficRouter';

/** A condition on a request that sends it to the canary whatever the weights. */
export type RequestCondition =
  | { kind: 'header'; name: string; value?: string; regex?: string }
  | { kind: 'cookie'; name: string; value?: string; regex?: string }
  | { kind: 'userAgent'; regex: string };

/** Sticky sessions: a cookie the canary's answers set, which then keeps the user on the canary. */
export interface StickySessions {
  cookieName: string;
  maxAgeSeconds: number;
}

/** Routing beyond the weights, the same for both routers. */
export interface RoutingSettings {
  /** Requests that always go to the canary while it takes traffic. */
  requestMatches: RequestCondition[];
  sticky?: StickySessions;
}

/** A condition as both routers express it: one request header, matched exactly or by a regex. */
export interface HeaderCondition {
  /** Lower-case header name. */
  header: string;
  exact?: string;
  regex?: string;
}

/** Traffic per arm as a route's weights say it (they add up to 100 when this module wrote them). */
export interface Split {
  stable: number;
  canary: number;
  baseline: number;
}

/** Escapes `text` for use as a literal in an RE2 regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex on the Cookie header that holds when cookie `name`'s value matches `valueRegex`. */
function cookieRegex(name: string, valueRegex: string): string {
  return `^(.*;\\s*)?${escapeRegex(name)}=(${valueRegex})(;.*)?$`;
}

/** The header condition a request condition stands for. */
export function toHeaderCondition(
  condition: RequestCondition,
): HeaderCondition {
  switch (condition.kind) {
    case 'header':
      return condition.value !== undefined
        ? { header: condition.name.toLowerCase(), exact: condition.value }
        : { header: condition.name.toLowerCase(), regex: condition.regex };
    case 'cookie':
      return {
        header: 'cookie',
        regex: cookieRegex(
          condition.name,
          condition.value !== undefined
            ? escapeRegex(condition.value)
            : condition.regex!,
        ),
      };
    case 'userAgent':
      return { header: 'user-agent', regex: condition.regex };
    default:
      throw new Error(`Unknown request condition ${JSON.stringify(condition)}`);
  }
}

/**
 * The conditions that send a request to the canary while it takes traffic: the configured
 * request matches, and the sticky cookie with `token` when sticky sessions are on.
 */
export function canaryConditions(
  routing: RoutingSettings,
  token: string | undefined,
): HeaderCondition[] {
  const conditions = routing.requestMatches.map(toHeaderCondition);
  if (routing.sticky && token) {
    conditions.push({
      header: 'cookie',
      regex: cookieRegex(routing.sticky.cookieName, escapeRegex(token)),
    });
  }
  return conditions;
}

/** The Set-Cookie value the canary's answers carry with sticky sessions. */
export function stickyCookie(sticky: StickySessions, token: string): string {
  return `${sticky.cookieName}=${token}; Max-Age=${sticky.maxAgeSeconds}; Path=/`;
}

/** The token of a Set-Cookie value this module wrote, if `value` is one. */
export function tokenOfStickyCookie(
  sticky: StickySessions,
  value: unknown,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = new RegExp(
    `^${escapeRegex(sticky.cookieName)}=([0-9a-f]+);`,
  ).exec(value);
  return match?.[1];
}

/** A fresh sticky-session token: a new one per rollout, so old cookies do not stick. */
export function newStickyToken(): string {
  return randomBytes(8).toString('hex');
}

/** Checks weights given to `setWeights`: integers 0-100 that add up to 100. */
export function assertWeights(weights: Weights): void {
  const { stable, canary } = weights;
  const valid = [stable, canary].every(
    w => Number.isInteger(w) && w >= 0 && w <= 100,
  );
  if (!valid || stable + canary !== 100) {
    throw new InputError(
      `Invalid weights ${JSON.stringify(
        weights,
      )}: expected integers 0-100 that add up to 100`,
    );
  }
}

/**
 * The split for `weights`: with a baseline destination that has pods (`baselineRouted`), the
 * baseline takes as much as the canary (at most what stable has), from stable's share, so canary
 * and baseline see the same traffic.
 */
export function splitOf(weights: Weights, baselineRouted: boolean): Split {
  const baseline = baselineRouted
    ? Math.min(weights.canary, weights.stable)
    : 0;
  return {
    stable: weights.stable - baseline,
    canary: weights.canary,
    baseline,
  };
}

/** The weights a split amounts to: the canary's share in percent; stable has the rest. */
export function weightsOf(split: Split, where: string): Weights {
  const total = split.stable + split.canary + split.baseline;
  if (total <= 0) {
    throw new InputError(`${where} sends no traffic at all: every weight is 0`);
  }
  const canary = Math.round((100 * split.canary) / total);
  return { stable: 100 - canary, canary };
}

/**
 * The weights of the route that sends the canary the most, of the splits of every weighted route
 * (`splits[i]` undefined where route i is not weighted): traffic is back on stable only when
 * every weighted route says so.
 */
export function mostCanaryWeights(
  splits: Array<Split | undefined>,
  where: string,
): Weights {
  return splits
    .flatMap(split => (split ? [weightsOf(split, where)] : []))
    .reduce((most, w) => (w.canary > most.canary ? w : most));
}

/**
 * A copy of `object` with `key` set to `value`, or without `key` when `value` is empty
 * (undefined, `{}` or `[]`): fields this module added are removed again without a trace.
 */
export function withField<T extends object>(
  object: T,
  key: string,
  value: unknown,
): T {
  const copy = { ...object } as Record<string, unknown>;
  const empty =
    value === undefined ||
    (typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length === 0);
  if (empty) {
    delete copy[key];
  } else {
    copy[key] = value;
  }
  return copy as T;
}

/** Where a weighted route's arms sit among its destinations. */
export type ArmIndexes = { stable: number; canary: number; baseline?: number };

/**
 * How one router's routes hold their destinations (Istio HTTP routes and their `route` entries,
 * Gateway API rules and their `backendRefs`); the planning over them is shared.
 */
export interface RouteShape<R, D> {
  destinations(route: R): D[];
  withDestinations(route: R, destinations: D[]): R;
  withWeight(destination: D, weight: number): D;
  /** The token of our sticky cookie that a canary destination sets now, if any. */
  stickyToken(destination: D, sticky: StickySessions): string | undefined;
  /** The canary destination with the sticky Set-Cookie header added (token) or removed. */
  withStickyCookie(
    destination: D,
    sticky: StickySessions | undefined,
    token: string | undefined,
    where: string,
  ): D;
  /** The request-based route placed before a weighted one, or undefined when none is needed. */
  forcedRoute(
    route: R,
    arms: ArmIndexes,
    conditions: HeaderCondition[],
    index: number,
  ): R | undefined;
}

/**
 * The routes as `plan` wants them: every weighted route's destinations weighted by the plan's
 * split (other routes, matches and fields untouched), and, while the canary takes traffic, a
 * request-based route before each weighted route for the configured request matches and the
 * sticky cookie.
 */
export function planRoutes<R, D>(
  shape: RouteShape<R, D>,
  routes: R[],
  weighted: Array<ArmIndexes | undefined>,
  plan: WeightPlan,
  where: string,
  newToken: () => string,
): R[] {
  const { sticky } = plan.routing;
  const canaryTakesTraffic = plan.weights.canary > 0;
  const currentToken = (): string | undefined => {
    for (const [index, arms] of weighted.entries()) {
      if (!arms) continue;
      const canary = shape.destinations(routes[index])[arms.canary];
      const token = shape.stickyToken(canary, sticky!);
      if (token) return token;
    }
    return undefined;
  };
  const token =
    sticky && canaryTakesTraffic ? currentToken() ?? newToken() : undefined;
  const conditions = canaryTakesTraffic
    ? canaryConditions(plan.routing, token)
    : [];

  return routes.flatMap((route, index) => {
    const arms = weighted[index];
    if (!arms) return [route];
    const split = splitOf(
      plan.weights,
      arms.baseline !== undefined && plan.baselineRunning,
    );
    const destinations = shape
      .destinations(route)
      .map((destination, position) => {
        const arm = (Object.keys(arms) as Arm[]).find(
          a => arms[a] === position,
        )!;
        const weighed = shape.withWeight(destination, split[arm]);
        return arm === 'canary'
          ? shape.withStickyCookie(weighed, sticky, token, where)
          : weighed;
      });
    const updated = shape.withDestinations(route, destinations);
    const forced =
      conditions.length > 0
        ? shape.forcedRoute(updated, arms, conditions, index)
        : undefined;
    return forced ? [forced, updated] : [updated];
  });
}
