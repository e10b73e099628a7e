import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';
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

  it("draws a threshold rule's value against its limit, without a zero line", async () => {
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
