/**
 * Upper bounds, in seconds, of the latency histogram the demo reports: Prometheus' default buckets
 * (`prometheus.DefBuckets` of the Go client), 5 ms to 10 s, as a service instrumented with a
 * default histogram exports them. They are coarse where the demo's versions answer (about 30 ms,
 * about 280 ms with 250 ms added), so percentiles interpolated from them are as rough as a real
 * service's.
 */
export const LATENCY_BUCKET_BOUNDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
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
