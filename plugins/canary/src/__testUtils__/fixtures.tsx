import type { ReactNode } from 'react';
import { ResponseError } from '@backstage/errors';
import type { Entity } from '@backstage/catalog-model';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  permissionApiRef,
  type PermissionApi,
} from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { signalApiRef, type SignalApi } from '@backstage/plugin-signals-react';
import type { JsonObject } from '@backstage/types';
import {
  allowedActions,
  type AuditEvent,
  type MetricVerdict,
  type Rollout,
  type RolloutAnalysis,
  type Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef, type CanaryApi, type StrategyCatalog } from '../api';

export const ENTITY_REF = 'component:default/demo-service';

export const annotatedEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'demo-service',
    namespace: 'default',
    annotations: {
      'canary.backstage.io/router': 'demo',
      'backstage.io/kubernetes-id': 'demo-service',
    },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

/** `annotatedEntity` with the strategy preset `demo` of the configured strategies. */
export const presetEntity: Entity = {
  ...annotatedEntity,
  metadata: {
    ...annotatedEntity.metadata,
    annotations: {
      ...annotatedEntity.metadata.annotations,
      'canary.backstage.io/preset': 'demo',
    },
  },
};

const MINUTE = 60_000;

/** A rollout in its second stage (25 %), progressing, with one failing and one passing verdict. */
export function makeRollout(overrides: Partial<Rollout> = {}): Rollout {
  const phase = overrides.phase ?? 'Progressing';
  const stageIndex = overrides.stageIndex ?? 1;
  const stages = [
    {
      weight: 5,
      minDurationMs: 30 * MINUTE,
      maxDurationMs: 60 * MINUTE,
      requireApproval: false,
    },
    {
      weight: 25,
      minDurationMs: 60 * MINUTE,
      maxDurationMs: 120 * MINUTE,
      requireApproval: false,
    },
    {
      weight: 50,
      minDurationMs: 120 * MINUTE,
      maxDurationMs: 240 * MINUTE,
      requireApproval: true,
    },
  ];
  const now = Date.now();
  return {
    id: 'r-1',
    entityRef: ENTITY_REF,
    target: {
      namespace: 'default',
      name: 'demo-service',
      router: 'demo',
      metrics: 'demo',
      workload: 'demo',
    },
    stableVersion: '1.0.0',
    canaryVersion: '1.1.0',
    strategy: {
      dedicatedBaseline: false,
      progressDeadlineMs: 10 * MINUTE,
      stages,
      analysis: {
        alpha: 0.05,
        metrics: [
          {
            name: 'error-rate',
            kind: 'proportion',
            margin: 0.005,
            maxRate: 0.05,
            maxRatio: 2,
            critical: true,
          },
          {
            name: 'latency',
            kind: 'distribution',
            margin: 0.1,
            rollbackMargin: 0.25,
            quantiles: [0.5, 0.95],
            max: 2,
            unit: 's',
            critical: true,
          },
        ],
        intervalMs: MINUTE,
        minRequestsPerLook: 50,
        minRequestsPerStage: 500,
        maxConsecutiveNoData: 3,
        noDataAction: 'pause',
        inconclusiveAction: 'rollback',
      },
    },
    phase,
    stageIndex,
    stageStartedAt: new Date(now - 10 * MINUTE).toISOString(),
    weights: { stable: 75, canary: 25 },
    message: 'Stage 2 of 3 running; no regression so far',
    analysis: {
      lastLookAt: new Date(now - 30_000).toISOString(),
      nextLookAt: new Date(now + 30_000).toISOString(),
      consecutiveNoData: 0,
      stageTotals: {
        baseline: { requests: 9000, errors: 9 },
        canary: { requests: 3000, errors: 4 },
      },
      latestVerdicts: [
        {
          metric: 'error-rate',
          rule: 'msprt',
          verdict: 'inconclusive',
          unit: 'fraction',
          scale: 'absolute',
          estimate: 0.0003,
          interval: [-0.001, 0.002],
          confidenceLevel: 0.95,
          baseline: 0.001,
          canary: 0.0013,
          threshold: 0.005,
          rollbackThreshold: 0,
          pValue: 0.41,
          classical: { method: 'two-proportion z-test', pValue: 0.38 },
          sampleSize: { baseline: 9000, canary: 3000 },
          critical: true,
          explanation: 'Not enough evidence yet either way.',
        },
        {
          // The shares of requests slower than the baseline's p95 boundary, and their difference.
          metric: 'latency',
          rule: 'tail-share',
          verdict: 'inconclusive',
          unit: 'fraction',
          scale: 'absolute',
          estimate: 0.016,
          interval: [-0.002, 0.034],
          confidenceLevel: 0.95,
          baseline: 0.042,
          canary: 0.058,
          threshold: 0.011,
          rollbackThreshold: 0.03,
          pValue: 0.27,
          sampleSize: { baseline: 9000, canary: 3000 },
          critical: true,
          tail: {
            p: 0.95,
            threshold: 0.125,
            unit: 's',
            direction: 'above',
            baselineQuantile: 0.118,
            canaryQuantile: 0.131,
          },
          explanation:
            "canary p95 latency is 0.131 s vs 0.118 s on baseline; 5.8 % of canary observations are slower than 0.125 s vs 4.2 % on baseline (the baseline's p95 boundary); up to 3.4 points more could still be slower than 0.125 s (95 % sure), not yet below the 1.1 points a canary 10 % slower would add: waiting for more data",
        },
        {
          metric: 'sample-ratio',
          rule: 'srm',
          verdict: 'pass',
          unit: 'fraction',
          scale: 'absolute',
          estimate: 0.25,
          threshold: 0.25,
          pValue: 0.83,
          sampleSize: { baseline: 9000, canary: 3000 },
          critical: false,
          explanation:
            'the canary received 25 % of the compared traffic, 25 % expected: consistent with the configured split',
        },
      ],
    },
    createdBy: 'user:default/alice',
    reason: 'Ship the new checkout',
    createdAt: new Date(now - 45 * MINUTE).toISOString(),
    updatedAt: new Date(now - 30_000).toISOString(),
    revision: 7,
    allowedActions: allowedActions(phase, stageIndex === stages.length - 1),
    ...overrides,
  };
}

/**
 * A latency verdict that failed: p95 0.18 s -> 0.31 s, 2.9 % -> 21 % of requests slower than
 * 0.25 s, at the level of the check that decided (0.98125). Tests override what they vary.
 */
export function failedLatencyVerdict(
  overrides: Partial<MetricVerdict> = {},
): MetricVerdict {
  return {
    metric: 'latency',
    rule: 'tail-share-restarted',
    verdict: 'fail',
    unit: 'fraction',
    scale: 'absolute',
    estimate: 0.181,
    baseline: 0.029,
    canary: 0.21,
    interval: [0.12, 0.24],
    confidenceLevel: 0.98125,
    threshold: 0.011,
    tail: {
      p: 0.95,
      threshold: 0.25,
      unit: 's',
      direction: 'above',
      baselineQuantile: 0.18,
      canaryQuantile: 0.31,
    },
    explanation: '',
    ...overrides,
  };
}

export function makeAnalysis(rolloutId = 'r-1'): RolloutAnalysis {
  const at = (minutes: number) =>
    new Date(Date.now() - minutes * MINUTE).toISOString();
  return {
    rolloutId,
    series: [
      {
        metric: 'error-rate',
        arm: 'baseline',
        points: [
          { at: at(3), stageIndex: 0, value: 0.001 },
          { at: at(2), stageIndex: 1, value: 0.0011 },
          { at: at(1), stageIndex: 1, value: 0.001 },
        ],
      },
      {
        metric: 'error-rate',
        arm: 'canary',
        points: [
          { at: at(3), stageIndex: 0, value: 0.002 },
          { at: at(2), stageIndex: 1, value: null },
          { at: at(1), stageIndex: 1, value: 0.0013 },
        ],
      },
      {
        metric: 'latency-p95',
        arm: 'baseline',
        points: [
          { at: at(3), stageIndex: 0, value: 0.11 },
          { at: at(2), stageIndex: 1, value: 0.12 },
          { at: at(1), stageIndex: 1, value: 0.118 },
        ],
      },
      {
        metric: 'latency-p95',
        arm: 'canary',
        points: [
          { at: at(3), stageIndex: 0, value: 0.2 },
          { at: at(2), stageIndex: 1, value: 0.3 },
          { at: at(1), stageIndex: 1, value: 0.3534 },
        ],
      },
      {
        metric: 'requests',
        arm: 'baseline',
        points: [
          { at: at(3), stageIndex: 0, value: 9500 },
          { at: at(2), stageIndex: 1, value: 7500 },
          { at: at(1), stageIndex: 1, value: 7480 },
        ],
      },
      {
        metric: 'requests',
        arm: 'canary',
        points: [
          { at: at(3), stageIndex: 0, value: 500 },
          { at: at(2), stageIndex: 1, value: 2500 },
          { at: at(1), stageIndex: 1, value: 2520 },
        ],
      },
    ],
    verdicts: [
      {
        at: at(20),
        stageIndex: 0,
        verdicts: [
          {
            metric: 'error-rate',
            rule: 'msprt',
            verdict: 'pass',
            explanation: 'Fine.',
          },
        ],
      },
    ],
  };
}

export function makeAuditEvent(
  overrides: Partial<AuditEvent> = {},
): AuditEvent {
  return {
    id: 1,
    rolloutId: 'r-1',
    entityRef: ENTITY_REF,
    at: new Date(Date.now() - 40 * MINUTE).toISOString(),
    actor: 'user:default/alice',
    action: 'launch',
    phaseAfter: 'Pending',
    stageIndex: -1,
    weightsAfter: { stable: 100, canary: 0 },
    reason: 'Ship the new checkout',
    details: {},
    ...overrides,
  };
}

/** The configured strategies: the defaults of `makeRollout` and a fast `demo` preset. */
export function makeStrategies(): StrategyCatalog {
  const defaults = makeRollout().strategy;
  const demo: Strategy = {
    ...defaults,
    stages: [5, 25, 50].map(weight => ({
      weight,
      minDurationMs: 30_000,
      maxDurationMs: 60_000,
      requireApproval: false,
    })),
    analysis: {
      ...defaults.analysis,
      intervalMs: 10_000,
      minRequestsPerStage: 50,
      metrics: [
        {
          name: 'error-rate',
          kind: 'proportion',
          margin: 0.02,
          critical: true,
        },
      ],
    },
  };
  return { defaults, presets: { demo } };
}

/** A CanaryApi whose every method is a jest mock; by default it serves one rollout. */
export function mockCanaryApi(
  rollouts: Rollout[] = [makeRollout()],
): jest.Mocked<CanaryApi> {
  return {
    listRollouts: jest.fn().mockResolvedValue({ items: rollouts }),
    getRollout: jest.fn().mockResolvedValue(rollouts[0]),
    launchRollout: jest.fn(),
    performAction: jest.fn(),
    getAnalysis: jest.fn().mockResolvedValue(makeAnalysis()),
    listAuditEvents: jest.fn().mockResolvedValue({ items: [makeAuditEvent()] }),
    exportAuditEvents: jest.fn(),
    getStrategies: jest.fn().mockResolvedValue(makeStrategies()),
  };
}

/** A PermissionApi that allows or denies everything. */
export function permissionApi(allowed: boolean): PermissionApi {
  // The AuthorizeResult enum lives in plugin-permission-common; its values are these strings.
  const result = allowed ? 'ALLOW' : 'DENY';
  return {
    authorize: async () => ({ result }),
  } as unknown as PermissionApi;
}

/** A SignalApi whose signals the test sends, on the channels the components subscribed to. */
export class FakeSignalApi implements SignalApi {
  private readonly subscribers = new Map<string, Set<(message: any) => void>>();

  subscribe(channel: string, onMessage: (message: any) => void) {
    const forChannel = this.subscribers.get(channel) ?? new Set();
    forChannel.add(onMessage);
    this.subscribers.set(channel, forChannel);
    return { unsubscribe: () => forChannel.delete(onMessage) };
  }

  channels(): string[] {
    return [...this.subscribers]
      .filter(([, forChannel]) => forChannel.size > 0)
      .map(([channel]) => channel);
  }

  send(channel: string, message: JsonObject) {
    for (const onMessage of this.subscribers.get(channel) ?? []) {
      onMessage(message);
    }
  }
}

/**
 * Renders inside a test app with the given canary API, permissions, entity, catalog and, when
 * given, signals, at the given URL; entity pages are mounted at `/catalog/:namespace/:kind/:name`.
 */
export function renderWithApis(
  element: ReactNode,
  options: {
    canaryApi: CanaryApi;
    allowed?: boolean;
    entity?: Entity;
    /** The catalog's entities. */
    catalog?: Entity[];
    /** The URL, e.g. `/?filters[owner]=group:default/a`. */
    url?: string;
    signals?: SignalApi;
  },
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [canaryApiRef, options.canaryApi],
        [permissionApiRef, permissionApi(options.allowed ?? true)],
        [catalogApiRef, catalogApiMock({ entities: options.catalog ?? [] })],
        ...(options.signals ? [[signalApiRef, options.signals] as const] : []),
      ]}
    >
      <EntityProvider entity={options.entity ?? annotatedEntity}>
        {element}
      </EntityProvider>
    </TestApiProvider>,
    {
      routeEntries: options.url ? [options.url] : undefined,
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

/** The error the client throws when the backend answers with Backstage's error body. */
export function responseError(
  status: number,
  statusText: string,
  error: { name: string; message: string },
): Promise<ResponseError> {
  return ResponseError.fromResponse(
    new Response(JSON.stringify({ error, response: { statusCode: status } }), {
      status,
      statusText,
      headers: { 'Content-Type': 'application/json' },
    }),
  );
}
