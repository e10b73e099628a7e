import { ServiceFactory } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { STRATEGY_FIELDS } from '../strategy/strategy';

/** What the tests of the canary backend and its modules start it with. */

export const SHOP = 'component:default/shop';

/**
 * A component set up for canary releases with the providers of `kind` (the memory world's by
 * default), and the strategy preset `preset` if given.
 */
export function canaryComponent(
  name: string,
  spec: { owner?: string; system?: string } = {},
  canary: { kind?: string; preset?: string } = {},
): Entity {
  const kind = canary.kind ?? 'memory';
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'backstage.io/kubernetes-id': name,
        'canary.backstage.io/router': kind,
        'canary.backstage.io/metrics': kind,
        'canary.backstage.io/workload': kind,
        ...(canary.preset && { 'canary.backstage.io/preset': canary.preset }),
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'team-a',
      ...spec,
    },
  };
}

/** A fast strategy: the memory world answers at once, so stages of 100 ms are enough. */
export const FAST = {
  stages: [
    { weight: 10, minDuration: '100ms' },
    { weight: 50, minDuration: '100ms' },
  ],
  analysis: {
    interval: '100ms',
    minRequestsPerLook: 1,
    minRequestsPerStage: 1,
    // A margin a few hundred requests can show, so that stages of 100 ms can pass.
    metrics: [
      { name: 'error-rate', kind: 'proportion', margin: 0.05, critical: true },
    ],
  },
};

/**
 * A `canary.policy` that lets a launch request override every strategy field, for tests that
 * launch with FAST or other overrides: the product's default lets a launch override webhooks only.
 */
export const OVERRIDE_ANY_POLICY = { overridable: [...STRATEGY_FIELDS] };

/**
 * `mockServices.scheduler()` typed with what the tests use: its factory, and running a task now.
 * (A type only: this folder is exported to other packages' tests and cannot import test-utils.)
 */
export type TestScheduler = {
  factory(): ServiceFactory;
  triggerTask(id: string): Promise<void>;
};
