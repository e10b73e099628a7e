import type { ArmSample, CountPair, Histogram } from './rollout';

/** An arm sample with no traffic. @public */
export function emptyArmSample(): ArmSample {
  return { requests: 0, errors: 0 };
}

/**
 * Adds two arm samples, `b` being the later one. Counts and histogram buckets are additive, which
 * is why providers report counts and not rates: the sum over a stage keeps the traffic weights
 * right. Gauges are readings, not counts: the later one wins.
 *
 * @public
 */
export function addArmSamples(a: ArmSample, b: ArmSample): ArmSample {
  const sum: ArmSample = {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
  };
  const latency = addHistograms(a.latency, b.latency);
  if (latency) sum.latency = latency;
  const ratios = addRatios(a.ratios, b.ratios);
  if (ratios) sum.ratios = ratios;
  if (a.gauges || b.gauges) sum.gauges = { ...a.gauges, ...b.gauges };
  return sum;
}

function addRatios(
  a: Record<string, CountPair> | undefined,
  b: Record<string, CountPair> | undefined,
): Record<string, CountPair> | undefined {
  if (!a) return b;
  if (!b) return a;
  const sum: Record<string, CountPair> = { ...a };
  for (const [name, pair] of Object.entries(b)) {
    const before = sum[name];
    sum[name] = before
      ? { count: before.count + pair.count, total: before.total + pair.total }
      : pair;
  }
  return sum;
}

function addHistograms(
  a: Histogram | undefined,
  b: Histogram | undefined,
): Histogram | undefined {
  if (!a) return b;
  if (!b) return a;
  const sameBounds =
    a.bounds.length === b.bounds.length &&
    a.bounds.every((bound, i) => bound === b.bounds[i]);
  if (!sameBounds) {
    throw new Error('Cannot add latency histograms with different buckets');
  }
  return {
    bounds: a.bounds,
    counts: a.counts.map((count, i) => count + b.counts[i]),
  };
}

/** Errors per request, or undefined without requests. @public */
export function errorRate(sample: ArmSample): number | undefined {
  return sample.requests > 0 ? sample.errors / sample.requests : undefined;
}

/**
 * The q-quantile (0-1) of a latency histogram, in seconds, interpolated linearly inside the bucket
 * as Prometheus' `histogram_quantile` does. A quantile that falls in the open last bucket returns
 * the highest bound (the value is at least that). Undefined for an empty histogram.
 *
 * @public
 */
export function histogramQuantile(
  q: number,
  histogram: Histogram | undefined,
): number | undefined {
  if (!histogram) return undefined;
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const count = histogram.counts[i];
    if (below + count >= rank && count > 0) {
      if (i === histogram.bounds.length) return histogram.bounds[i - 1];
      const lower = i === 0 ? 0 : histogram.bounds[i - 1];
      const upper = histogram.bounds[i];
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return histogram.bounds[histogram.bounds.length - 1];
}
