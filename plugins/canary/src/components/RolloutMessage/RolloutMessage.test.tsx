import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeRollout } from '../../__testUtils__/fixtures';
import { RolloutMessage } from './RolloutMessage';

const failed = {
  metric: 'error-rate',
  rule: 'rollback.maxErrorRateRatio',
  verdict: 'fail' as const,
  explanation: 'Canary errors are 2.56 % vs 0.00 % on stable: rolling back.',
};

describe('RolloutMessage', () => {
  it('says why the engine rolled back: the failing verdicts', async () => {
    const rollout = makeRollout({
      phase: 'RolledBack',
      rollbackEndPhase: 'RolledBack',
      message: 'All traffic is back on 1.0.0; the canary is removed',
    });
    rollout.analysis.latestVerdicts.push(failed);

    await renderInTestApp(<RolloutMessage rollout={rollout} />);

    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Rolled back');
    expect(alert).toHaveTextContent(
      'All traffic is back on 1.0.0; the canary is removed',
    );
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByRole('listitem')).toHaveTextContent(
      'error-rate (rollback.maxErrorRateRatio): Canary errors are 2.56 % vs 0.00 % on stable: rolling back.',
    );
  });

  it('lists no verdicts when a user aborted, or while the rollout progresses', async () => {
    const aborted = makeRollout({
      phase: 'Aborted',
      rollbackEndPhase: 'Aborted',
    });
    aborted.analysis.latestVerdicts.push(failed);
    const { unmount } = await renderInTestApp(
      <RolloutMessage rollout={aborted} />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Aborted');
    expect(screen.queryByRole('listitem')).not.toBeInTheDocument();
    unmount();

    await renderInTestApp(<RolloutMessage rollout={makeRollout()} />);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'ProgressingStage 2 of 3 running; no regression so far',
    );
    expect(screen.queryByRole('listitem')).not.toBeInTheDocument();
  });
});
