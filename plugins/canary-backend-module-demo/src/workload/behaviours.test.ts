import { createSeededRandom } from '@canary-release/backstage-plugin-canary-common';
import {
  createBehaviourResolver,
  HEALTHY_BEHAVIOUR,
  sampleLatencyMs,
} from './behaviours';

describe('createBehaviourResolver', () => {
  it('has healthy 1.0.0 and 1.1.0, error-prone 1.2.0 and slow 1.3.0 built in', () => {
    const resolve = createBehaviourResolver();
    expect(resolve('1.0.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('1.1.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('1.2.0')).toEqual({ errorRate: 0.055, latencyMs: 0 });
    expect(resolve('1.3.0')).toEqual({ errorRate: 0.005, latencyMs: 250 });
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
    expect(resolve('1.2.0')).toEqual({ errorRate: 0.055, latencyMs: 100 });
    expect(resolve('1.3.0')).toEqual(HEALTHY_BEHAVIOUR);
    expect(resolve('2.0.0')).toEqual({ errorRate: 0.5, latencyMs: 0 });
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
