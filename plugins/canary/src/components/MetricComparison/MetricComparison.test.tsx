import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeAnalysis } from '../../__testUtils__/fixtures';
import { MetricComparison } from './MetricComparison';

describe('MetricComparison', () => {
  it('draws both arms of each metric and shows their latest values', async () => {
    await renderInTestApp(<MetricComparison analysis={makeAnalysis()} />);

    const row = screen.getByText('error-rate').closest('tr')!;
    const chart = within(row).getByRole('img', {
      name: 'error-rate: baseline and canary over time',
    });
    expect(chart.querySelectorAll('[data-arm="baseline"]')).toHaveLength(1);
    // The canary's missing value splits its line in two.
    expect(chart.querySelectorAll('[data-arm="canary"]')).toHaveLength(2);
    expect(within(row).getByText('0.10 %')).toBeInTheDocument();
    expect(within(row).getByText('0.13 %')).toBeInTheDocument();
  });

  it('says when nothing has been measured', async () => {
    await renderInTestApp(
      <MetricComparison
        analysis={{ rolloutId: 'r-1', series: [], verdicts: [] }}
      />,
    );

    expect(screen.getByText('No measurements yet.')).toBeInTheDocument();
  });
});
