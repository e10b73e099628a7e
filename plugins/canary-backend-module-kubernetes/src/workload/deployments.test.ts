import type { Deployment } from '../kube/resources';
import { isRolledOut, replicasFor } from './deployments';

function deployment(
  replicas: number | undefined,
  generation: number,
  status: Deployment['status'],
): Deployment {
  return {
    metadata: { name: 'shop', namespace: 'shop', generation },
    spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
    status,
  };
}

describe('replicasFor', () => {
  it.each([
    [4, 5, 1],
    [4, 25, 1],
    [4, 26, 2],
    [10, 50, 5],
    [3, 100, 3],
  ])(
    'runs %i stable replicas’ canary at %i %% with %i replicas',
    (stable, weight, expected) => {
      expect(
        replicasFor(stable, weight, { mode: 'proportional', minReplicas: 1 }),
      ).toBe(expected);
    },
  );

  it('keeps the minimum, and runs stable’s size with scaling off', () => {
    expect(replicasFor(10, 5, { mode: 'proportional', minReplicas: 3 })).toBe(
      3,
    );
    expect(replicasFor(10, 5, { mode: 'off', minReplicas: 1 })).toBe(10);
    expect(replicasFor(0, 5, { mode: 'off', minReplicas: 1 })).toBe(1);
  });
});

describe('isRolledOut', () => {
  const ready = {
    observedGeneration: 2,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
  };

  it('holds when the controller saw the spec and every replica is updated and ready', () => {
    expect(isRolledOut(deployment(3, 2, ready))).toBe(true);
  });

  it.each([
    ['the controller has not seen the latest spec', deployment(3, 3, ready)],
    [
      'replicas are not updated yet',
      deployment(3, 2, { ...ready, updatedReplicas: 2 }),
    ],
    [
      'old replicas are still there',
      deployment(3, 2, { ...ready, replicas: 4 }),
    ],
    [
      'replicas are not ready',
      deployment(3, 2, { ...ready, readyReplicas: 2 }),
    ],
    ['there is no status yet', deployment(3, 1, {})],
    ['spec.replicas defaults to 1', deployment(undefined, 1, {})],
  ])('does not hold when %s', (_, subject) => {
    expect(isRolledOut(subject)).toBe(false);
  });
});
