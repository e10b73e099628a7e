import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeRollout } from '../../__testUtils__/fixtures';
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
        name: 'estimate +0.03 pts, interval [-0.10 pts, +0.20 pts], margin +0.50 pts',
      }),
    ).toBeInTheDocument();

    // The judge's latency verdict: values in ms, the comparison relative.
    const latency = screen.getByText('latency').closest('tr')!;
    expect(within(latency).getByText('+5.0 % vs baseline')).toBeInTheDocument();
    expect(within(latency).getByText('110 ms → 116 ms')).toBeInTheDocument();
    expect(
      within(latency).getByText('margin +10.0 %, rolls back beyond +25.0 %', {
        selector: 'div',
      }),
    ).toBeInTheDocument();
    expect(
      within(latency).getByRole('img', {
        name: 'estimate +5.0 %, interval [-8.0 %, +21.0 %], margin +10.0 %, rollback margin +25.0 %',
      }),
    ).toBeInTheDocument();

    // A threshold rule: seconds shown as milliseconds, never as "0.1 ms".
    const p95 = screen.getByText('latency-p95').closest('tr')!;
    expect(within(p95).getByText('Pass')).toBeInTheDocument();
    expect(within(p95).getByText('120 ms')).toBeInTheDocument();
    expect(within(p95).getByText('110 ms → 120 ms')).toBeInTheDocument();
    expect(
      within(p95).getByText('limit 2 s', { selector: 'div' }),
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
