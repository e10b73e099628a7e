import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';
import {
  failedLatencyVerdict,
  makeRollout,
} from '../../__testUtils__/fixtures';
import { VerdictsTable } from './VerdictsTable';

describe('VerdictsTable', () => {
  it('shows each verdict with its numbers in their units and the explanation', async () => {
    const { analysis, strategy } = makeRollout();

    await renderInTestApp(
      <VerdictsTable
        verdicts={analysis.latestVerdicts}
        lastLookAt={analysis.lastLookAt}
        metrics={strategy.analysis.metrics}
      />,
    );

    // A difference of error rates, in percentage points against its margin.
    const errorRate = screen.getByText('error-rate').closest('tr')!;
    expect(within(errorRate).getByText('Inconclusive')).toBeInTheDocument();
    expect(within(errorRate).getByText('msprt · critical')).toBeInTheDocument();
    expect(within(errorRate).getByText('+0.03 pts')).toBeInTheDocument();
    expect(
      within(errorRate).getByText('95 % [-0.10 pts, +0.20 pts]'),
    ).toBeInTheDocument();
    expect(within(errorRate).getByText('0.10 % → 0.13 %')).toBeInTheDocument();
    // The caption; the forest plot's marks say the same on hover.
    expect(
      within(errorRate).getByText('margin +0.50 pts', { selector: 'div' }),
    ).toBeInTheDocument();
    expect(within(errorRate).getByText('0.410')).toBeInTheDocument();
    expect(
      within(errorRate).getByText('fixed-horizon 0.380'),
    ).toBeInTheDocument();
    expect(
      within(errorRate).getByText('n = 9,000 / 3,000'),
    ).toBeInTheDocument();
    expect(
      within(errorRate).getByText('Not enough evidence yet either way.'),
    ).toBeInTheDocument();
    expect(
      within(errorRate).getByRole('img', {
        name: 'estimate +0.03 pts, 95 % interval [-0.10 pts, +0.20 pts], margin +0.50 pts',
      }),
    ).toBeInTheDocument();

    // The judge's latency verdict: the quantile that decided in ms, the shares of requests
    // slower than its threshold in %, their difference and its margin in points.
    const latency = screen.getByText('latency').closest('tr')!;
    expect(
      within(latency).getByText('tail-share · critical'),
    ).toBeInTheDocument();
    expect(
      within(latency).getByText('p95 118 ms → 131 ms'),
    ).toBeInTheDocument();
    expect(
      within(latency).getByText('slower than 125 ms: 4.20 % → 5.80 %'),
    ).toBeInTheDocument();
    expect(within(latency).getByText('+1.60 pts')).toBeInTheDocument();
    expect(
      within(latency).getByText('95 % [-0.20 pts, +3.40 pts]'),
    ).toBeInTheDocument();
    expect(
      within(latency).getByText(
        'margin +1.10 pts, rolls back beyond +3.00 pts',
        {
          selector: 'div',
        },
      ),
    ).toBeInTheDocument();
    expect(
      within(latency).getByRole('img', {
        name: 'estimate +1.60 pts, 95 % interval [-0.20 pts, +3.40 pts], margin +1.10 pts, rollback margin +3.00 pts',
      }),
    ).toBeInTheDocument();

    // The traffic split: the canary's share against the expected one.
    const split = screen.getByText('sample-ratio').closest('tr')!;
    expect(within(split).getByText('Pass')).toBeInTheDocument();
    expect(
      within(split).getByText('expected 25.00 %', { selector: 'div' }),
    ).toBeInTheDocument();
  });

  it("shows a failed latency verdict's quantiles, shares and interval at the level of the check that decided", async () => {
    const failed = failedLatencyVerdict({
      rollbackThreshold: 0,
      pValue: 0.0004,
      sampleSize: { baseline: 6000, canary: 2000 },
      critical: true,
      explanation:
        'since look 9 (the last 4 looks) canary p95 latency is 0.31 s vs 0.18 s on baseline, so it got worse during the stage; 98.1 % sure at least 12 points more are slower than 0.25 s: rolling back',
    });

    await renderInTestApp(
      <VerdictsTable
        verdicts={[failed]}
        metrics={makeRollout().strategy.analysis.metrics}
      />,
    );

    const row = screen.getByText('latency').closest('tr')!;
    expect(within(row).getByText('Fail')).toBeInTheDocument();
    expect(
      within(row).getByText('tail-share-restarted · critical'),
    ).toBeInTheDocument();
    expect(within(row).getByText(/^since look 9/)).toBeInTheDocument();
    expect(within(row).getByText('p95 180 ms → 310 ms')).toBeInTheDocument();
    expect(
      within(row).getByText('slower than 250 ms: 2.90 % → 21.00 %'),
    ).toBeInTheDocument();
    expect(within(row).getByText('+18.10 pts')).toBeInTheDocument();
    // The regression's level, as the sentence quotes it, in points like the estimate.
    expect(
      within(row).getByText('98.1 % [+12.00 pts, +24.00 pts]'),
    ).toBeInTheDocument();
    expect(
      within(row).getByText('margin +1.10 pts', { selector: 'div' }),
    ).toBeInTheDocument();
    expect(within(row).getByText('n = 6,000 / 2,000')).toBeInTheDocument();
    expect(
      within(row).getByRole('img', {
        name: 'estimate +18.10 pts, 98.1 % interval [+12.00 pts, +24.00 pts], margin +1.10 pts',
      }),
    ).toBeInTheDocument();
  });

  it('shows ceilings against their limits, and verdicts of any rule, also older ones', async () => {
    const verdicts: MetricVerdict[] = [
      {
        metric: 'error-rate',
        rule: 'max-rate',
        verdict: 'fail',
        unit: 'fraction',
        scale: 'absolute',
        estimate: 0.062,
        baseline: 0.004,
        canary: 0.062,
        interval: [0.053, 0.074],
        confidenceLevel: 0.98125,
        threshold: 0.05,
        rollbackThreshold: 0,
        critical: true,
        explanation: 'above the ceiling of 5 %',
      },
      {
        metric: 'error-rate',
        rule: 'max-ratio',
        verdict: 'fail',
        unit: 'fraction',
        scale: 'relative',
        estimate: 1.5,
        baseline: 0.004,
        canary: 0.01,
        interval: [1.3, 2.1],
        confidenceLevel: 0.98125,
        threshold: 1,
        critical: true,
        explanation: "more than 2x the baseline's",
      },
      {
        metric: 'metrics',
        rule: 'unreadable',
        verdict: 'error',
        explanation: 'No metrics for this look: connection refused',
      },
      {
        // As audit events stored before the judge was the one decision path have it.
        metric: 'error-rate',
        rule: 'rollback.maxErrorRate',
        verdict: 'fail',
        estimate: 0.052,
        canary: 0.052,
        threshold: 0.05,
        explanation: 'The canary error rate of 5.20 % is above the 5 % limit',
      },
    ];

    await renderInTestApp(<VerdictsTable verdicts={verdicts} />);

    const rowOf = (rule: string) => screen.getByText(rule).closest('tr')!;
    const maxRate = rowOf('max-rate · critical');
    expect(within(maxRate).getByText('6.20 %')).toBeInTheDocument();
    expect(
      within(maxRate).getByText('98.1 % [5.30 %, 7.40 %]'),
    ).toBeInTheDocument();
    expect(
      within(maxRate).getByText('limit 5.00 %', { selector: 'div' }),
    ).toBeInTheDocument();

    const maxRatio = rowOf('max-ratio · critical');
    expect(within(maxRatio).getByText('2.5x the baseline')).toBeInTheDocument();
    expect(
      within(maxRatio).getByText('98.1 % [2.3x, 3.1x]'),
    ).toBeInTheDocument();
    expect(
      within(maxRatio).getByText('limit 2x', { selector: 'div' }),
    ).toBeInTheDocument();
    expect(within(maxRatio).getByText('0.40 % → 1.00 %')).toBeInTheDocument();

    const unreadable = rowOf('unreadable');
    expect(within(unreadable).getByText('Error')).toBeInTheDocument();
    expect(
      within(unreadable).getByText(
        'No metrics for this look: connection refused',
      ),
    ).toBeInTheDocument();

    const older = rowOf('rollback.maxErrorRate');
    expect(within(older).getByText('Fail')).toBeInTheDocument();
    expect(within(older).getByText('5.20 %')).toBeInTheDocument();
    expect(
      within(older).getByText('limit 5.00 %', { selector: 'div' }),
    ).toBeInTheDocument();
  });

  it('says when nothing has been judged yet', async () => {
    await renderInTestApp(<VerdictsTable verdicts={[]} />);

    expect(screen.getByText('No look yet')).toBeInTheDocument();
    expect(
      screen.getByText('The engine has not judged this stage yet.'),
    ).toBeInTheDocument();
  });
});
