import { InputError } from '@backstage/errors';
import type { Weights } from '@canary-release/backstage-plugin-canary-common';

/** Throws an `InputError` unless both weights are numbers in 0-100 that add up to 100. */
export function assertValidWeights(weights: Weights): void {
  const { stable, canary } = weights ?? {};
  const valid = [stable, canary].every(
    w => typeof w === 'number' && Number.isFinite(w) && w >= 0 && w <= 100,
  );
  if (!valid || Math.abs(stable + canary - 100) > 1e-9) {
    throw new InputError(
      `Invalid weights ${JSON.stringify(
        weights,
      )}: stable and canary must be numbers in 0-100 that add up to 100`,
    );
  }
}
