import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeRollout } from '../../__testUtils__/fixtures';
import { RolloutHeader } from './RolloutHeader';

describe('RolloutHeader', () => {
  it('shows versions, phase, traffic split, launcher and timing', async () => {
    await renderInTestApp(<RolloutHeader rollout={makeRollout()} />);

    expect(screen.getByText('demo-service: canary 1.1.0')).toBeInTheDocument();
    expect(screen.getByText('Progressing')).toBeInTheDocument();
    expect(screen.getByTestId('status-running')).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'stable 75 %, canary 25 %' }),
    ).toBeInTheDocument();
    expect(screen.getByText('alice')).toHaveAttribute(
      'title',
      'user:default/alice',
    );
    expect(screen.getByText('45 minutes ago')).toBeInTheDocument();
    expect(screen.getByText('“Ship the new checkout”')).toBeInTheDocument();
    expect(screen.getByText('2 of 3 (25 %)')).toBeInTheDocument();
    expect(screen.getByText(/^10m( \d+s)? in stage$/)).toBeInTheDocument();
    expect(screen.getByText(/^in \d+s$/)).toBeInTheDocument();
  });

  it('shows how a finished rollout ended', async () => {
    const rollout = makeRollout({
      phase: 'RolledBack',
      weights: { stable: 100, canary: 0 },
      finishedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    });

    await renderInTestApp(<RolloutHeader rollout={rollout} />);

    expect(screen.getByText('Rolled back')).toBeInTheDocument();
    expect(screen.getByTestId('status-error')).toBeInTheDocument();
    expect(screen.getByText('5 minutes ago')).toBeInTheDocument();
    expect(screen.queryByText('Next look')).not.toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'stable 100 %, canary 0 %' }),
    ).toBeInTheDocument();
  });
});
