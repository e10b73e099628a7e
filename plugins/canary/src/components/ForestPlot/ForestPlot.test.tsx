import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';
import { failedLatencyVerdict } from '../../__testUtils__/fixtures';
import { ForestPlot } from './ForestPlot';

const conversion: MetricVerdict = {
  metric: 'conversion',
  rule: 'msprt',
  verdict: 'fail',
  unit: 'fraction',
  scale: 'absolute',
  estimate: -0.03,
  interval: [-0.05, -0.012],
  threshold: 0.01,
  rollbackThreshold: 0.005,
  explanation: '',
};

function markX(mark: string): number {
  const line = document.querySelector(`[data-mark="${mark}"]`)!;
  return Number(line.getAttribute('x1'));
}

describe('ForestPlot', () => {
  it('draws a higher-is-better metric with its margins below zero', async () => {
    await renderInTestApp(
      <ForestPlot verdict={conversion} direction="higher-is-better" />,
    );

    expect(
      screen.getByRole('img', {
        name: 'estimate -3.00 pts, interval [-5.00 pts, -1.20 pts], margin -1.00 pts, rollback margin -0.50 pts',
      }),
    ).toBeInTheDocument();
    expect(markX('threshold')).toBeLessThan(markX('rollback'));
    expect(markX('rollback')).toBeLessThan(markX('zero'));
    expect(markX('interval')).toBeLessThan(markX('threshold'));
  });

  it('runs an unbounded side of the interval to the edge', async () => {
    await renderInTestApp(
      <ForestPlot
        verdict={{
          ...conversion,
          verdict: 'inconclusive',
          estimate: 0.01,
          interval: [null, 0.02] as unknown as [number, number],
        }}
      />,
    );

    expect(
      screen.getByRole('img', { name: /interval \[-∞, \+2.00 pts\]/ }),
    ).toBeInTheDocument();
    expect(markX('interval')).toBe(6);
  });

  it("draws a latency verdict in points of the shares beyond its threshold, its margin on the harm side, with the decisive check's level", async () => {
    const latency = failedLatencyVerdict({
      rule: 'tail-share',
      rollbackThreshold: 0.03,
      tail: {
        p: 0.95,
        threshold: 0.25,
        unit: 's',
        direction: 'at-or-below',
        baselineQuantile: 0.18,
        canaryQuantile: 0.31,
      },
    });
    // More observations on the bad side of the threshold is worse whatever the direction.
    await renderInTestApp(
      <ForestPlot verdict={latency} direction="higher-is-better" />,
    );

    expect(
      screen.getByRole('img', {
        name: 'estimate +18.10 pts, 98.1 % interval [+12.00 pts, +24.00 pts], margin +1.10 pts, rollback margin +3.00 pts',
      }),
    ).toBeInTheDocument();
    expect(markX('zero')).toBeLessThan(markX('threshold'));
    expect(markX('threshold')).toBeLessThan(markX('rollback'));
    expect(markX('rollback')).toBeLessThan(markX('interval'));
  });

  it("draws a ceiling against its limit: the canary's rate, or its multiple of the baseline's", async () => {
    const { unmount } = await renderInTestApp(
      <ForestPlot
        verdict={{
          metric: 'error-rate',
          rule: 'max-rate',
          verdict: 'fail',
          unit: 'fraction',
          scale: 'absolute',
          estimate: 0.062,
          interval: [0.053, 0.074],
          confidenceLevel: 0.98125,
          threshold: 0.05,
          rollbackThreshold: 0.01,
          explanation: '',
        }}
      />,
    );
    expect(
      screen.getByRole('img', {
        name: 'estimate 6.20 %, 98.1 % interval [5.30 %, 7.40 %], limit 5.00 %',
      }),
    ).toBeInTheDocument();
    expect(document.querySelector('[data-mark="zero"]')).toBeNull();
    expect(document.querySelector('[data-mark="rollback"]')).toBeNull();
    unmount();

    await renderInTestApp(
      <ForestPlot
        verdict={{
          metric: 'error-rate',
          rule: 'max-ratio',
          verdict: 'fail',
          unit: 'fraction',
          scale: 'relative',
          estimate: 1.5,
          interval: [1.3, null] as unknown as [number, number],
          confidenceLevel: 0.98125,
          threshold: 1,
          explanation: '',
        }}
      />,
    );
    expect(
      screen.getByRole('img', {
        name: 'estimate 2.5x, 98.1 % interval [2.3x, ∞], limit 2x',
      }),
    ).toBeInTheDocument();
    expect(markX('zero')).toBeLessThan(markX('threshold'));
    expect(markX('threshold')).toBeLessThan(markX('interval'));
  });

  it("draws an older threshold rule's value against its limit, without a zero line", async () => {
    await renderInTestApp(
      <ForestPlot
        verdict={{
          metric: 'latency-p95',
          rule: 'rollback.maxP95Ms',
          verdict: 'pass',
          unit: 's',
          estimate: 0.353,
          threshold: 2,
          explanation: '',
        }}
      />,
    );

    expect(
      screen.getByRole('img', { name: 'estimate 353 ms, limit 2 s' }),
    ).toBeInTheDocument();
    expect(document.querySelector('[data-mark="zero"]')).toBeNull();
  });
});
