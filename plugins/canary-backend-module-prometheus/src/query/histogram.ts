import type { Histogram } from '@canary-release/backstage-plugin-canary-common';

/** One bucket of a Prometheus histogram: observations `<= le`, cumulative. */
export interface CumulativeBucket {
  /** The `le` label as Prometheus writes it: a number, or `+Inf`. */
  le: string;
  value: number;
}

/** How many of each unit of `le` bounds make a second. */
export const LATENCY_UNITS_PER_SECOND = {
  seconds: 1,
  milliseconds: 1000,
} as const;

/** The unit of the `le` bounds of a latency histogram. */
export type LatencyUnit = keyof typeof LATENCY_UNITS_PER_SECOND;

function parseBound(le: string): number {
  if (le === '+Inf') return Infinity;
  const bound = Number(le);
  if (le.trim() === '' || !Number.isFinite(bound)) {
    throw new Error(`a bucket has the bound le="${le}", which is not a number`);
  }
  return bound;
}

/**
 * Turns Prometheus' cumulative `le` buckets into our histogram: bounds in seconds, ascending, and
 * one count per bucket (observations above the previous bound up to this one), plus the open
 * bucket above the last bound.
 *
 * Counts from `increase()` are extrapolated, so they are rarely whole numbers, and each bucket is
 * extrapolated on its own: the cumulative counts are rounded to whole observations and then made
 * non-decreasing (as `histogram_quantile` does), so every count is a non-negative integer.
 * Throws when the buckets do not form a histogram (no `+Inf` bucket, a bound twice, a bound that
 * is not a number, a count that is not a finite non-negative number).
 */
export function toHistogram(
  buckets: CumulativeBucket[],
  unit: LatencyUnit,
): Histogram {
  const parsed = buckets.map(({ le, value }) => {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(
        `the bucket le="${le}" has the count ${value}, expected a finite number >= 0`,
      );
    }
    return { le, bound: parseBound(le), value };
  });
  parsed.sort((a, b) => a.bound - b.bound);
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i].bound === parsed[i - 1].bound) {
      throw new Error(
        `two series have the bucket le="${parsed[i].le}": aggregate them, e.g. with sum by (le) (...)`,
      );
    }
  }
  if (parsed.length === 0 || parsed[parsed.length - 1].bound !== Infinity) {
    throw new Error('the histogram has no le="+Inf" bucket');
  }

  const bounds: number[] = [];
  const counts: number[] = [];
  let below = 0;
  for (const { bound, value } of parsed) {
    const cumulative = Math.max(below, Math.round(value));
    counts.push(cumulative - below);
    below = cumulative;
    if (bound !== Infinity) {
      bounds.push(bound / LATENCY_UNITS_PER_SECOND[unit]);
    }
  }
  return { bounds, counts };
}
