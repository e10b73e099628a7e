import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { makeRollout } from '../../__testUtils__/fixtures';
import { RolloutMessage } from './RolloutMessage';

const failed = {
  metric: 'error-rate',
  rule: 'max-rate',
  verdict: 'fail' as const,
  explanation:
    'canary error-rate is 6.2 % of 2000; 98.1 % sure it is above the ceiling of 5 % (at least 5.3 %): rolling back',
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
      'error-rate (max-rate): canary error-rate is 6.2 % of 2000; 98.1 % sure it is above the ceiling of 5 % (at least 5.3 %): rolling back',
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
