import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockCanaryApi, renderWithApis } from '../../__testUtils__/fixtures';
import { CanaryPage } from './CanaryPage';

describe('CanaryPage', () => {
  it('shows the rollouts first and the audit trail in its own tab', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(<CanaryPage />, { canaryApi });

    expect(await screen.findByText('1.0.0 → 1.1.0')).toBeInTheDocument();
    expect(canaryApi.listAuditEvents).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('tab', { name: 'Audit' }));

    expect(await screen.findByText('Audit trail')).toBeInTheDocument();
    expect(
      await screen.findByText('Ship the new checkout'),
    ).toBeInTheDocument();
    expect(canaryApi.listAuditEvents).toHaveBeenCalled();
  });
});
