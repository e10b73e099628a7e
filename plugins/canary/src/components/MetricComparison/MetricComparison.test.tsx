import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeAnalysis, makeRollout } from '../../__testUtils__/fixtures';
import { MetricComparison } from './MetricComparison';

const { strategy } = makeRollout();

function rowOf(label: string): HTMLElement {
  return screen.getByText(label).closest('tr')!;
}

describe('MetricComparison', () => {
  it('draws both arms of each metric with its latest values and sample sizes', async () => {
    await renderInTestApp(
      <MetricComparison analysis={makeAnalysis()} strategy={strategy} />,
    );

    const labels = screen
      .getAllByRole('row')
      .slice(1)
      .map(row => row.querySelector('td')!.textContent);
    expect(labels).toEqual(['Error rate', 'Latency p95', 'Requests per look']);

    const row = rowOf('Error rate');
    const chart = within(row).getByRole('img', {
      name: 'Error rate: baseline and canary over time',
    });
    expect(chart.querySelectorAll('[data-arm="baseline"]')).toHaveLength(1);
    // The canary's missing value splits its line in two.
    expect(chart.querySelectorAll('[data-arm="canary"]')).toHaveLength(2);
    expect(within(row).getByText('0.10 %')).toBeInTheDocument();
    expect(within(row).getByText('0.13 %')).toBeInTheDocument();
    expect(within(row).getByText('n = 7,480')).toBeInTheDocument();
    expect(within(row).getByText('n = 2,520')).toBeInTheDocument();
  });

  it('shows latencies, measured in seconds, in milliseconds', async () => {
    await renderInTestApp(
      <MetricComparison analysis={makeAnalysis()} strategy={strategy} />,
    );

    const row = rowOf('Latency p95');
    expect(within(row).getByText('118 ms')).toBeInTheDocument();
    expect(within(row).getByText('353 ms')).toBeInTheDocument();
    // The scale's top, labelled in the metric's unit.
    expect(within(row).getByText('500 ms')).toBeInTheDocument();
    expect(
      within(rowOf('Requests per look')).getByText('2,520'),
    ).toBeInTheDocument();
  });

  it("draws the limits and margins of the strategy's metrics that apply, and lists those off the chart", async () => {
    await renderInTestApp(
      <MetricComparison analysis={makeAnalysis()} strategy={strategy} />,
    );

    const errorRate = rowOf('Error rate');
    const errorChart = within(errorRate).getByRole('img');
    expect(
      errorChart.querySelectorAll('[data-reference="margin.error-rate"]'),
    ).toHaveLength(1);
    expect(
      errorChart.querySelector('[data-reference="maxRatio.error-rate"]'),
    ).not.toBeNull();
    // 5 % is far above error rates of about 0.1 %: listed, not drawn.
    expect(
      errorChart.querySelector('[data-reference="maxRate.error-rate"]'),
    ).toBeNull();
    expect(errorRate).toHaveTextContent(
      'non-inferiority margin: baseline +0.50 pts',
    );
    expect(errorRate).toHaveTextContent('rollback ceiling: 2x baseline');
    expect(errorRate).toHaveTextContent(
      'rollback ceiling: 5.00 % (off the chart)',
    );
    expect(errorRate).not.toHaveTextContent('success');

    const latency = rowOf('Latency p95');
    const latencyChart = within(latency).getByRole('img');
    expect(
      latencyChart.querySelector('[data-reference="margin.latency"]'),
    ).not.toBeNull();
    expect(
      latencyChart.querySelector('[data-reference="rollbackMargin.latency"]'),
    ).not.toBeNull();
    expect(latency).toHaveTextContent(
      'non-inferiority margin: baseline +10.0 %',
    );
    expect(latency).toHaveTextContent('rollback margin: baseline +25.0 %');
    expect(latency).toHaveTextContent('rollback ceiling: 2 s (off the chart)');
  });

  it('says when nothing has been measured', async () => {
    await renderInTestApp(
      <MetricComparison
        analysis={{ rolloutId: 'r-1', series: [], verdicts: [] }}
        strategy={strategy}
      />,
    );

    expect(screen.getByText('No measurements yet.')).toBeInTheDocument();
  });
});
