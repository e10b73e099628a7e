import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  makeAuditEvent,
  mockCanaryApi,
  renderWithApis,
} from '../../__testUtils__/fixtures';
import { AuditTimeline } from './AuditTimeline';

describe('AuditTimeline', () => {
  it('shows who did what, newest first, with the numbers on demand', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.listAuditEvents.mockResolvedValue({
      items: [
        makeAuditEvent(),
        makeAuditEvent({
          id: 2,
          at: new Date(Date.now() - 60_000).toISOString(),
          actor: 'engine',
          action: 'rollback',
          phaseBefore: 'Progressing',
          phaseAfter: 'RollingBack',
          stageIndex: 1,
          weightsBefore: { stable: 75, canary: 25 },
          weightsAfter: { stable: 100, canary: 0 },
          reason: 'Error rate 6.1 % above the 5 % limit',
          details: { canaryErrorRate: 0.061 },
        }),
      ],
    });

    await renderWithApis(<AuditTimeline rolloutId="r-1" live={false} />, {
      canaryApi,
    });

    const actions = await screen.findAllByText(/^(launch|rollback)$/);
    expect(actions.map(a => a.textContent)).toEqual(['rollback', 'launch']);
    expect(
      screen.getByText('Progressing → Rolling back · canary 0 % · stage 2'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Error rate 6.1 % above the 5 % limit'),
    ).toBeInTheDocument();
    expect(screen.getByText('alice')).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Show the numbers' }),
    );
    expect(screen.getByText(/"canaryErrorRate": 0.061/)).toBeInTheDocument();
    expect(canaryApi.listAuditEvents).toHaveBeenCalledWith({
      rolloutId: 'r-1',
      limit: 200,
    });
  });
});
