import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeRollout } from '../../__testUtils__/fixtures';
import { VerdictsTable } from './VerdictsTable';

describe('VerdictsTable', () => {
  it('shows each verdict with its numbers and explanation', async () => {
    const { analysis } = makeRollout();

    await renderInTestApp(
      <VerdictsTable
        verdicts={analysis.latestVerdicts}
        lastLookAt={analysis.lastLookAt}
      />,
    );

    const errorRate = screen.getByText('error-rate').closest('tr')!;
    expect(within(errorRate).getByText('Inconclusive')).toBeInTheDocument();
    expect(
      within(errorRate).getByText('0.03 % [-0.10 %, 0.20 %]'),
    ).toBeInTheDocument();
    expect(within(errorRate).getByText('0.10 % → 0.13 %')).toBeInTheDocument();
    expect(within(errorRate).getByText('0.410')).toBeInTheDocument();
    expect(within(errorRate).getByText('9,000 / 3,000')).toBeInTheDocument();
    expect(
      within(errorRate).getByText('Not enough evidence yet either way.'),
    ).toBeInTheDocument();
    expect(
      within(errorRate).getByRole('img', { name: /interval -0.001 to 0.002/ }),
    ).toBeInTheDocument();

    const latency = screen.getByText('latency-p95').closest('tr')!;
    expect(within(latency).getByText('Pass')).toBeInTheDocument();
    expect(within(latency).getByText('500.0 ms')).toBeInTheDocument();
  });

  it('says when nothing has been judged yet', async () => {
    await renderInTestApp(<VerdictsTable verdicts={[]} />);

    expect(screen.getByText('No look yet')).toBeInTheDocument();
    expect(
      screen.getByText('The engine has not judged this stage yet.'),
    ).toBeInTheDocument();
  });
});
