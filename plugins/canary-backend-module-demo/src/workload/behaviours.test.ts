import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import {
  behaviourAfter,
  createBehaviourResolver,
  HEALTHY_BEHAVIOUR,
  sampleLatencyMs,
  sampleResponse,
  VersionBehaviour,
} from './behaviours';

describe('createBehaviourResolver', () => {
  it('has healthy 1.0.0 and 1.1.0, error-prone 1.2.0, slow 1.3.0 and late-regressing 1.4.0 built in', () => {
    const resolve = createBehaviourResolver();
    expect(resolve('1.0.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('1.1.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('1.2.0')).toEqual({ errorRate: 0.06, latencyMs: 0 });
    expect(resolve('1.3.0')).toEqual({ errorRate: 0.01, latencyMs: 250 });
    expect(resolve('1.4.0')).toEqual({
      errorRate: 0.06,
      latencyMs: 0,
      regressAfterMs: 60_000,
    });
  });

  it('gives healthy versions a background error rate', () => {
    expect(HEALTHY_BEHAVIOUR.errorRate).toBe(0.01);
    expect(HEALTHY_BEHAVIOUR.latencyMs).toBe(0);
    expect(HEALTHY_BEHAVIOUR.regressAfterMs).toBeUndefined();
  });

  it('treats unknown versions as healthy', () => {
    expect(createBehaviourResolver()('9.9.9')).toEqual(HEALTHY_BEHAVIOUR);
  });

  it('lets configuration override built-in versions field by field and add new ones', () => {
    const resolve = createBehaviourResolver({
      '1.2.0': { latencyMs: 100 },
      '1.3.0': { latencyMs: 0 },
      '2.0.0': { errorRate: 0.5 },
    });
    expect(resolve('1.2.0')).toEqual({ errorRate: 0.06, latencyMs: 100 });
    expect(resolve('1.3.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('2.0.0')).toEqual({ errorRate: 0.5, latencyMs: 0 });
  });
});

describe('behaviourAfter', () => {
  const late: VersionBehaviour = {
    errorRate: 0.3,
    latencyMs: 100,
    regressAfterMs: 45_000,
  };

  it('behaves healthy until regressAfterMs has passed, then as described', () => {
    expect(behaviourAfter(late, 0)).toEqual(HEALTHY_BEHAVIOUR);
    expect(behaviourAfter(late, 44_999)).toEqual(HEALTHY_BEHAVIOUR);
    expect(behaviourAfter(late, 45_000)).toEqual(late);
    expect(behaviourAfter(late, 3_600_000)).toEqual(late);
  });

  it('behaves as described from the start without regressAfterMs, or with 0', () => {
    const slow = { errorRate: 0.01, latencyMs: 250 };
    expect(behaviourAfter(slow, 0)).toEqual(slow);
    expect(behaviourAfter({ ...slow, regressAfterMs: 0 }, 0)).toMatchObject(
      slow,
    );
  });

  it('lets configuration make a built-in version regress late, or at once', () => {
    const resolve = createBehaviourResolver({
      '1.2.0': { regressAfterMs: 10_000 },
      '1.4.0': { regressAfterMs: 0 },
    });
    expect(behaviourAfter(resolve('1.2.0'), 9_999)).toEqual(HEALTHY_BEHAVIOUR);
    expect(behaviourAfter(resolve('1.2.0'), 10_000).errorRate).toBe(0.06);
    expect(behaviourAfter(resolve('1.4.0'), 0).errorRate).toBe(0.06);
  });
});

describe('sampleResponse', () => {
  /** Failures among `n` seeded draws. */
  function failures(behaviour: VersionBehaviour, n: number, seed = 11) {
    const random = createSeededRandom(seed);
    let failed = 0;
    for (let i = 0; i < n; i++) {
      if (sampleResponse(behaviour, random).failed) failed += 1;
    }
    return failed;
  }

  // 20 000 requests: about 200 failures at the healthy 1 % and 100 at 0.5 % (standard deviations
  // 14 and 10). The seed fixes the counts, so the bounds cannot fail by chance; they are 3.5
  // deviations wide, and a rate of 0 or twice the one configured falls far outside them.
  it('fails healthy requests at the background error rate', () => {
    expect(failures(HEALTHY_BEHAVIOUR, 20_000)).toBeGreaterThanOrEqual(150);
    expect(failures(HEALTHY_BEHAVIOUR, 20_000)).toBeLessThanOrEqual(250);
    const quieter = { errorRate: 0.005, latencyMs: 0 };
    expect(failures(quieter, 20_000)).toBeGreaterThanOrEqual(65);
    expect(failures(quieter, 20_000)).toBeLessThanOrEqual(135);
  });

  it('never fails at an error rate of 0 and always at 1', () => {
    expect(failures({ errorRate: 0, latencyMs: 0 }, 1000)).toBe(0);
    expect(failures({ errorRate: 1, latencyMs: 0 }, 1000)).toBe(1000);
  });

  it('draws every response a latency of its own', () => {
    const random = createSeededRandom(5);
    const latencies = Array.from(
      { length: 100 },
      () => sampleResponse(HEALTHY_BEHAVIOUR, random).latencyMs,
    );
    expect(new Set(latencies).size).toBe(100);
    expect(Math.min(...latencies)).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(150);
  });
});

describe('sampleLatencyMs', () => {
  function mean(latencyMs: number): { mean: number; median: number } {
    const random = createSeededRandom(7);
    const draws = Array.from({ length: 4000 }, () =>
      sampleLatencyMs({ errorRate: 0, latencyMs }, random),
    ).sort((a, b) => a - b);
    return {
      mean: draws.reduce((a, b) => a + b, 0) / draws.length,
      median: draws[draws.length / 2],
    };
  }

  it('draws a realistic base latency around 30 ms', () => {
    const { mean: m, median } = mean(0);
    expect(median).toBeGreaterThan(25);
    expect(median).toBeLessThan(35);
    expect(m).toBeGreaterThan(28);
    expect(m).toBeLessThan(40);
  });

  it('adds the configured extra latency on average', () => {
    expect(mean(250).mean - mean(0).mean).toBeGreaterThan(235);
    expect(mean(250).mean - mean(0).mean).toBeLessThan(265);
  });
});
