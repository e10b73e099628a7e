import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeAnalysis, makeRollout } from '../../__testUtils__/fixtures';
import { StageStepper } from './StageStepper';

describe('StageStepper', () => {
  it('shows every stage, the current one with its countdown, the past ones with their verdict', async () => {
    await renderInTestApp(
      <StageStepper rollout={makeRollout()} analysis={makeAnalysis()} />,
    );

    expect(screen.getByText('5 % canary')).toBeInTheDocument();
    expect(screen.getByText('25 % canary')).toBeInTheDocument();
    expect(screen.getByText('50 % canary')).toBeInTheDocument();
    expect(screen.getByText('min 30m')).toBeInTheDocument();
    expect(screen.getByText('approval gate')).toBeInTheDocument();
    // Stage 1 passed at its last look.
    expect(screen.getByText('Pass')).toBeInTheDocument();
    const progress = screen.getByRole('progressbar', {
      name: 'Time in the current stage',
    });
    expect(progress).toHaveAttribute('aria-valuenow', '17');
    // Ten minutes into a stage of at least an hour (plus the test's own run time).
    expect(
      screen.getByText(
        /^10m( \d+s)? of at least 1h · judged in (50m|49m \d+s)$/,
      ),
    ).toBeInTheDocument();
  });

  it('waits for approval at a gate', async () => {
    await renderInTestApp(
      <StageStepper rollout={makeRollout({ phase: 'AwaitingApproval' })} />,
    );

    expect(
      screen.getByText('Waiting for approval before the next stage.'),
    ).toBeInTheDocument();
  });

  it('marks the stage a rollback happened in and shows no countdown', async () => {
    await renderInTestApp(
      <StageStepper rollout={makeRollout({ phase: 'RolledBack' })} />,
    );

    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByText('25 % canary').closest('span')).toHaveClass(
      'Mui-error',
    );
  });
});
