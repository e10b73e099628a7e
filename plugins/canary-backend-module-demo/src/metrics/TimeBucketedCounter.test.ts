import { bucketIndex, LATENCY_BUCKET_BOUNDS } from './buckets';
import { TimeBucketedCounter } from './TimeBucketedCounter';

const T0 = Date.parse('2025-01-01T00:00:00Z');

describe('bucketIndex', () => {
  const bounds = [0.05, 0.1, 0.25];

  it('puts an observation in the first bucket whose bound it does not exceed', () => {
    expect(bucketIndex(bounds, 0)).toBe(0);
    expect(bucketIndex(bounds, 0.05)).toBe(0);
    expect(bucketIndex(bounds, 0.0500001)).toBe(1);
    expect(bucketIndex(bounds, 0.1)).toBe(1);
    expect(bucketIndex(bounds, 0.2)).toBe(2);
    expect(bucketIndex(bounds, 0.25)).toBe(2);
  });

  it('puts observations above every bound in the open last bucket', () => {
    expect(bucketIndex(bounds, 0.26)).toBe(3);
    expect(bucketIndex(bounds, 1e9)).toBe(3);
  });

  it("has Prometheus' default buckets as default bounds, 5 ms to 10 s", () => {
    expect(LATENCY_BUCKET_BOUNDS).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
  });
});

describe('TimeBucketedCounter', () => {
  function counter(now = T0 + 5_000) {
    return new TimeBucketedCounter({
      bucketMs: 100,
      retentionMs: 10_000,
      bounds: [0.05, 0.1, 0.25],
      now: () => now,
    });
  }

  it('sums requests, errors and histogram counts over a window', () => {
    const c = counter();
    c.record(false, 0.01, T0 + 5);
    c.record(true, 0.07, T0 + 150);
    c.record(false, 0.3, T0 + 999);
    expect(c.sample(T0, T0 + 1000)).toEqual({
      requests: 3,
      errors: 1,
      latency: { bounds: [0.05, 0.1, 0.25], counts: [1, 1, 0, 1] },
    });
  });

  it('includes the start and excludes the end of an aligned window', () => {
    const c = counter();
    c.record(false, 0.01, T0);
    c.record(false, 0.01, T0 + 1000);
    expect(c.sample(T0, T0 + 1000).requests).toBe(1);
    expect(c.sample(T0 + 1000, T0 + 2000).requests).toBe(1);
  });

  it('counts every observation once across windows that follow each other', () => {
    const c = counter();
    for (let t = 0; t < 3000; t += 7) {
      c.record(t % 3 === 0, (t % 400) / 1000, T0 + t);
    }
    const whole = c.sample(T0, T0 + 3000);
    const cuts = [T0, T0 + 333, T0 + 1250, T0 + 1251, T0 + 2999, T0 + 3000];
    const parts = cuts.slice(1).map((end, i) => c.sample(cuts[i], end));
    expect(parts.reduce((sum, p) => sum + p.requests, 0)).toBe(whole.requests);
    expect(parts.reduce((sum, p) => sum + p.errors, 0)).toBe(whole.errors);
    const counts = whole.latency!.counts.map((_, i) =>
      parts.reduce((sum, p) => sum + p.latency!.counts[i], 0),
    );
    expect(counts).toEqual(whole.latency!.counts);
    expect(whole.requests).toBe(Math.ceil(3000 / 7));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(whole.requests);
  });

  it('reports the default bounds when given none', () => {
    const c = new TimeBucketedCounter({ now: () => T0 + 5_000 });
    c.record(false, 0.03, T0 + 5);
    c.record(false, 0.3, T0 + 5);
    expect(c.sample(T0, T0 + 1000).latency).toEqual({
      bounds: [...LATENCY_BUCKET_BOUNDS],
      counts: [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0],
    });
  });

  it('returns zeros for an empty window or one without traffic', () => {
    const c = counter();
    c.record(false, 0.01, T0 + 50);
    expect(c.sample(T0 + 500, T0 + 500).requests).toBe(0);
    expect(c.sample(T0 + 500, T0 + 900)).toEqual({
      requests: 0,
      errors: 0,
      latency: { bounds: [0.05, 0.1, 0.25], counts: [0, 0, 0, 0] },
    });
  });

  it('reuses a slot once its bucket falls out of the retention', () => {
    const c = counter(T0 + 20_000);
    c.record(false, 0.01, T0 + 100);
    // 10 s of retention at 100 ms per bucket is 101 slots; this lands in the same slot.
    c.record(true, 0.01, T0 + 100 + 101 * 100);
    expect(c.sample(T0 + 10_000, T0 + 20_000)).toMatchObject({
      requests: 1,
      errors: 1,
    });
    // An observation older than the one its slot holds is dropped.
    c.record(false, 0.01, T0 + 100);
    expect(c.sample(T0 + 10_000, T0 + 20_000).requests).toBe(1);
  });

  it('rejects windows that end before they start or reach beyond the retention', () => {
    const c = counter(T0 + 60_000);
    expect(() => c.sample(T0 + 59_000, T0 + 58_000)).toThrow(/before start/);
    expect(() => c.sample(T0 + 49_000, T0 + 60_000)).toThrow(/reaches back/);
    expect(() => c.sample(T0 + 50_000, T0 + 60_000)).not.toThrow();
  });
});
