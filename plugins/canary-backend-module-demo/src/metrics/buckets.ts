/**
 * Upper bounds, in seconds, of the latency histogram the demo reports: Prometheus-like from 5 ms
 * to 10 s, finer between 10 ms and 500 ms where the demo's versions answer, so percentiles
 * interpolated from the buckets stay close to the truth.
 */
export const LATENCY_BUCKET_BOUNDS: readonly number[] = [
  0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4,
  0.5, 0.75, 1, 2.5, 5, 10,
];

/**
 * The histogram bucket of an observation: the first `i` with `seconds <= bounds[i]`, or
 * `bounds.length` (the open last bucket) when it is above every bound.
 */
export function bucketIndex(
  bounds: readonly number[],
  seconds: number,
): number {
  let low = 0;
  let high = bounds.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (seconds <= bounds[mid]) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}
