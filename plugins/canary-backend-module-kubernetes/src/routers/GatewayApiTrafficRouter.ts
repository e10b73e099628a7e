import { InputError } from '@backstage/errors';
import type { Weights } from '@canary-release/backstage-plugin-canary-common';
import { JsonPatchOperation, diff } from '../kube/jsonPatch';
import { HTTP_ROUTES, KubeObject, ResourceType } from '../kube/resources';
import { Arm, armOfService } from '../names';
import { RouteTrafficRouter, WeightPlan } from './RouteTrafficRouter';
import {
  ArmIndexes,
  HeaderCondition,
  RouteShape,
  Split,
  StickySessions,
  newStickyToken,
  planRoutes,
  stickyCookie,
  tokenOfStickyCookie,
  mostCanaryWeights,
  withField,
} from './routing';

/** The Gateway API's HTTPHeaderMatch. */
interface HeaderMatch {
  type?: string;
  name: string;
  value: string;
}

/** The Gateway API's HTTPRouteMatch (fields this router does not read pass through). */
interface RouteMatch {
  headers?: HeaderMatch[];
  [field: string]: unknown;
}

/** A header name and value, as header modifier filters list them. */
interface HeaderValue {
  name: string;
  value: string;
}

/** The Gateway API's HTTPHeaderFilter. */
interface HeaderModifier {
  set?: HeaderValue[];
  add?: HeaderValue[];
  [field: string]: unknown;
}

/** The Gateway API's HTTPRouteFilter. */
interface Filter {
  type: string;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  [field: string]: unknown;
}

/** The Gateway API's HTTPBackendRef. */
interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  weight?: number;
  filters?: Filter[];
  [field: string]: unknown;
}

/** The Gateway API's HTTPRouteRule. */
interface RouteRule {
  matches?: RouteMatch[];
  filters?: Filter[];
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}

/** A Gateway API HTTPRoute. */
export interface HttpRoute extends KubeObject {
  spec: { rules?: RouteRule[]; [field: string]: unknown };
}

/** The kind the router is registered under (`canary.backstage.io/router: gateway-api`). */
export const GATEWAY_API_ROUTER_KIND = 'gateway-api';

/**
 * The request header that marks the rules this router adds (request-based rules to the canary):
 * they set it on the requests they forward, so the canary also sees why it got the request.
 */
export const OWNED_RULE_HEADER: HeaderValue = {
  name: 'X-Canary-Release',
  value: 'forced',
};

/** What the API server fills in when a match has no path: a prefix match on `/`. */
const MATCH_ALL_PATHS: RouteMatch = {
  path: { type: 'PathPrefix', value: '/' },
};

function isOwned(rule: RouteRule) {
  return (rule.filters ?? []).some(
    filter =>
      filter.type === 'RequestHeaderModifier' &&
      (filter.requestHeaderModifier?.set ?? []).some(
        header =>
          header.name.toLowerCase() === OWNED_RULE_HEADER.name.toLowerCase(),
      ),
  );
}

/** The arm a backendRef stands for: a Service of the route's namespace named after an arm. */
function armOfBackendRef(
  ref: BackendRef,
  name: string,
  namespace: string | undefined,
): Arm | undefined {
  const isService =
    (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
  const sameNamespace =
    ref.namespace === undefined || ref.namespace === namespace;
  return isService && sameNamespace ? armOfService(ref.name, name) : undefined;
}

/**
 * The arms' places among a rule's backendRefs when it is a weighted rule; `undefined` for other
 * rules. An InputError when a rule mixes the arms with other backends.
 */
function armIndexes(
  rule: RouteRule,
  route: HttpRoute,
  name: string,
  where: string,
): ArmIndexes | undefined {
  const refs = rule.backendRefs ?? [];
  const arms = refs.map(ref =>
    armOfBackendRef(ref, name, route.metadata.namespace),
  );
  const count = (arm: Arm) => arms.filter(a => a === arm).length;
  if (count('stable') === 0 || count('canary') === 0) return undefined;
  if (arms.includes(undefined) || arms.length !== new Set(arms).size) {
    throw new InputError(
      `${where} has a rule that sends traffic to backends other than one stable, one canary and at most one baseline Service: ${refs
        .map(ref => ref.name)
        .join(', ')}`,
    );
  }
  const baseline = arms.indexOf('baseline');
  return {
    stable: arms.indexOf('stable'),
    canary: arms.indexOf('canary'),
    ...(baseline >= 0 && { baseline }),
  };
}

function weightedRules(route: HttpRoute, name: string, where: string) {
  const rules = (route.spec?.rules ?? []).filter(rule => !isOwned(rule));
  const weighted = rules.map(rule => armIndexes(rule, route, name, where));
  if (!weighted.some(Boolean)) {
    throw new InputError(
      `${where} has no rule with both a stable and a canary backend: expected backendRefs to the Services ${name} and ${name}-canary`,
    );
  }
  return { rules, weighted };
}

/** What a weighted rule's weights send to each arm (an unset weight is 1, the API's default). */
function splitOfRule(rule: RouteRule, arms: ArmIndexes): Split {
  const refs = rule.backendRefs!;
  const weight = (index: number | undefined) =>
    index === undefined ? 0 : refs[index].weight ?? 1;
  return {
    stable: weight(arms.stable),
    canary: weight(arms.canary),
    baseline: weight(arms.baseline),
  };
}

/** `filters` with the header modifier of `type` changed by `change` (added when missing). */
function withHeaderModifier(
  filters: Filter[] | undefined,
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier',
  change: (modifier: HeaderModifier) => HeaderModifier,
): Filter[] {
  const field =
    type === 'RequestHeaderModifier'
      ? 'requestHeaderModifier'
      : 'responseHeaderModifier';
  const list = filters ?? [];
  const index = list.findIndex(filter => filter.type === type);
  if (index < 0) return [...list, { type, [field]: change({}) }];
  return list.map((filter, i) =>
    i === index ? { ...filter, [field]: change(filter[field] ?? {}) } : filter,
  );
}

/** The canary backendRef with the sticky Set-Cookie answer header added (token) or removed. */
function withStickyCookie(
  ref: BackendRef,
  sticky: StickySessions | undefined,
  token: string | undefined,
  where: string,
): BackendRef {
  if (!sticky) return ref;
  const modifier = (ref.filters ?? []).find(
    filter => filter.type === 'ResponseHeaderModifier',
  )?.responseHeaderModifier;
  const current = (modifier?.add ?? []).find(
    header => header.name.toLowerCase() === 'set-cookie',
  );
  const ours =
    current && tokenOfStickyCookie(sticky, current.value) !== undefined;
  if (current && !ours) {
    if (!token) return ref;
    throw new InputError(
      `${where}: the canary backend already adds a Set-Cookie header (${current.value}); sticky sessions cannot add theirs`,
    );
  }
  if (!token && !current) return ref;
  const filters = withHeaderModifier(
    ref.filters,
    'ResponseHeaderModifier',
    ({ add = [], ...rest }) => {
      const others = add.filter(header => header !== current);
      const next = token
        ? [
            ...others,
            { name: 'Set-Cookie', value: stickyCookie(sticky, token) },
          ]
        : others;
      return withField(rest, 'add', next);
    },
  ).filter(
    filter =>
      filter.type !== 'ResponseHeaderModifier' ||
      Object.keys(filter.responseHeaderModifier ?? {}).length > 0,
  );
  return withField(ref, 'filters', filters);
}

function toHeaderMatch(condition: HeaderCondition): HeaderMatch {
  return condition.exact !== undefined
    ? { type: 'Exact', name: condition.header, value: condition.exact }
    : {
        type: 'RegularExpression',
        name: condition.header,
        value: condition.regex!,
      };
}

/**
 * The request-based rule next to a weighted rule: the same rule restricted to requests that also
 * meet one of `conditions`, all sent to the canary. More header matches make it more specific, so
 * it takes precedence over the weighted rule (Gateway API match precedence). A condition on a
 * header a match already tests is left out for that match.
 */
function forcedRule(
  rule: RouteRule,
  arms: ArmIndexes,
  conditions: HeaderCondition[],
): RouteRule | undefined {
  const matches = rule.matches?.length ? rule.matches : [MATCH_ALL_PATHS];
  const forcedMatches = matches.flatMap(m =>
    conditions
      .filter(
        c => !(m.headers ?? []).some(h => h.name.toLowerCase() === c.header),
      )
      .map(c => ({ ...m, headers: [...(m.headers ?? []), toHeaderMatch(c)] })),
  );
  if (forcedMatches.length === 0) return undefined;
  return {
    ...rule,
    matches: forcedMatches,
    filters: withHeaderModifier(
      rule.filters,
      'RequestHeaderModifier',
      ({ set = [], ...rest }) => ({
        ...rest,
        set: [...set, OWNED_RULE_HEADER],
      }),
    ),
    backendRefs: [{ ...rule.backendRefs![arms.canary], weight: 1 }],
  };
}

/** The token of our sticky cookie a backendRef's answers set, if any. */
function stickyTokenOf(
  ref: BackendRef,
  sticky: StickySessions,
): string | undefined {
  for (const filter of ref.filters ?? []) {
    for (const header of filter.responseHeaderModifier?.add ?? []) {
      const token = tokenOfStickyCookie(sticky, header.value);
      if (token) return token;
    }
  }
  return undefined;
}

/** How Gateway API rules hold their destinations: the `backendRefs`. */
const GATEWAY_RULES: RouteShape<RouteRule, BackendRef> = {
  destinations: rule => rule.backendRefs!,
  withDestinations: (rule, backendRefs) => ({ ...rule, backendRefs }),
  withWeight: (ref, weight) => ({ ...ref, weight }),
  stickyToken: stickyTokenOf,
  withStickyCookie,
  forcedRoute: (rule, arms, conditions) => forcedRule(rule, arms, conditions),
};

/** The rules of `route` as `plan` wants them (see `planRoutes`). */
export function plannedRules(
  route: HttpRoute,
  plan: WeightPlan,
  where: string,
  newToken: () => string = newStickyToken,
): RouteRule[] {
  const { rules, weighted } = weightedRules(route, plan.name, where);
  return planRoutes(GATEWAY_RULES, rules, weighted, plan, where, newToken);
}

/**
 * Weighs the two backendRefs of the rules of a Gateway API (`gateway.networking.k8s.io/v1`)
 * HTTPRoute that send traffic to both the stable Service `<name>` and the canary Service
 * `<name>-canary` (and optionally `<name>-baseline`). Other rules are left as they are.
 * Request-based rules this router adds carry the request header `X-Canary-Release: forced`.
 */
export class GatewayApiTrafficRouter extends RouteTrafficRouter<HttpRoute> {
  protected readonly type: ResourceType = HTTP_ROUTES;

  private where(route: HttpRoute) {
    return `HTTPRoute ${route.metadata.namespace}/${route.metadata.name}`;
  }

  protected readWeights(route: HttpRoute, name: string): Weights {
    const where = this.where(route);
    const { rules, weighted } = weightedRules(route, name, where);
    return mostCanaryWeights(
      weighted.map((arms, i) =>
        arms ? splitOfRule(rules[i], arms) : undefined,
      ),
      where,
    );
  }

  protected planPatch(
    route: HttpRoute,
    plan: WeightPlan,
  ): JsonPatchOperation[] {
    return diff(
      route.spec.rules,
      plannedRules(route, plan, this.where(route)),
      '/spec/rules',
    );
  }
}
