import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  ENTITY_REF,
  makeRollout,
  mockCanaryApi,
  renderWithApis,
  responseError,
} from '../../__testUtils__/fixtures';
import { LaunchRolloutButton } from './LaunchRolloutButton';

const finished = makeRollout({
  phase: 'Succeeded',
  weights: { stable: 0, canary: 100 },
  allowedActions: [],
});

async function openDialog() {
  const launch = screen.getByRole('button', { name: 'Launch rollout' });
  await waitFor(() => expect(launch).toBeEnabled());
  await userEvent.click(launch);
  return screen.getByRole('dialog');
}

describe('LaunchRolloutButton', () => {
  it('launches with the default strategy', async () => {
    const canaryApi = mockCanaryApi();
    const launched = makeRollout({ id: 'r-2', phase: 'Pending' });
    canaryApi.launchRollout.mockResolvedValue(launched);
    const onLaunched = jest.fn();
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        latest={finished}
        onLaunched={onLaunched}
      />,
      { canaryApi },
    );

    const dialog = await openDialog();
    const submit = within(dialog).getByRole('button', { name: 'Launch' });
    expect(submit).toBeDisabled();
    expect(within(dialog).getByLabelText('Stable version')).toHaveAttribute(
      'placeholder',
      '1.1.0',
    );
    await userEvent.type(
      within(dialog).getByLabelText(/Canary version/),
      '1.2.0',
    );
    await userEvent.type(within(dialog).getByLabelText('Reason'), 'New search');
    await userEvent.click(submit);

    expect(canaryApi.launchRollout).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      canaryVersion: '1.2.0',
      reason: 'New search',
    });
    await waitFor(() => expect(onLaunched).toHaveBeenCalledWith(launched));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('launches with custom stages', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.launchRollout.mockResolvedValue(makeRollout({ id: 'r-2' }));
    await renderWithApis(
      <LaunchRolloutButton entityRef={ENTITY_REF} onLaunched={jest.fn()} />,
      { canaryApi },
    );

    const dialog = await openDialog();
    await userEvent.type(
      within(dialog).getByLabelText(/Canary version/),
      '1.2.0',
    );
    await userEvent.click(within(dialog).getByLabelText('Custom stages'));
    // Starts from the documented defaults: 5 % 30m, 25 % 1h, 50 % 2h.
    await userEvent.click(within(dialog).getByLabelText('Remove stage 3'));
    const weight = within(dialog).getByLabelText('Stage 2 weight (%)');
    await userEvent.clear(weight);
    await userEvent.type(weight, '50');
    await userEvent.type(
      within(dialog).getByLabelText('Stage 2 maximum duration'),
      '2h',
    );
    const gates = within(dialog).getAllByLabelText('Approval gate');
    await userEvent.click(gates[1]);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Launch' }),
    );

    expect(canaryApi.launchRollout).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      canaryVersion: '1.2.0',
      strategy: {
        stages: [
          { weight: 5, minDuration: '30m', requireApproval: false },
          {
            weight: 50,
            minDuration: '1h',
            maxDuration: '2h',
            requireApproval: true,
          },
        ],
      },
    });
  });

  it('validates custom stages before sending them', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(
      <LaunchRolloutButton entityRef={ENTITY_REF} onLaunched={jest.fn()} />,
      { canaryApi },
    );

    const dialog = await openDialog();
    await userEvent.type(
      within(dialog).getByLabelText(/Canary version/),
      '1.2.0',
    );
    await userEvent.click(within(dialog).getByLabelText('Custom stages'));
    const weight = within(dialog).getByLabelText('Stage 3 weight (%)');
    await userEvent.clear(weight);
    await userEvent.type(weight, '150');
    const duration = within(dialog).getByLabelText('Stage 1 minimum duration');
    await userEvent.clear(duration);
    await userEvent.type(duration, '5 minutes');

    expect(dialog).toHaveTextContent('A whole number from 1 to 100');
    expect(dialog).toHaveTextContent('A whole number and s, m or h');
    expect(
      within(dialog).getByRole('button', { name: 'Launch' }),
    ).toBeDisabled();
    expect(canaryApi.launchRollout).not.toHaveBeenCalled();
  });

  it("shows the server's 400 message and keeps the dialog open", async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.launchRollout.mockRejectedValue(
      await responseError(400, 'Bad Request', {
        name: 'InputError',
        message: 'canaryVersion 1.0.0 is the stable version',
      }),
    );
    await renderWithApis(
      <LaunchRolloutButton entityRef={ENTITY_REF} onLaunched={jest.fn()} />,
      { canaryApi },
    );

    const dialog = await openDialog();
    await userEvent.type(
      within(dialog).getByLabelText(/Canary version/),
      '1.0.0',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Launch' }),
    );

    expect(
      await within(dialog).findByText(
        'canaryVersion 1.0.0 is the stable version',
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Launch' }),
    ).toBeEnabled();
  });

  it('is disabled, with the reason, while a rollout is active', async () => {
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        latest={makeRollout()}
        onLaunched={jest.fn()}
      />,
      { canaryApi: mockCanaryApi() },
    );

    const launch = screen.getByRole('button', { name: 'Launch rollout' });
    await waitFor(() =>
      expect(launch.parentElement).toHaveAttribute(
        'title',
        'The rollout of 1.1.0 is progressing; one rollout runs at a time.',
      ),
    );
    expect(launch).toBeDisabled();
  });

  it('is disabled, with the reason, for a user without permission', async () => {
    await renderWithApis(
      <LaunchRolloutButton
        entityRef="component:default/not-mine"
        onLaunched={jest.fn()}
      />,
      { canaryApi: mockCanaryApi(), allowed: false },
    );

    const launch = screen.getByRole('button', { name: 'Launch rollout' });
    await waitFor(() =>
      expect(launch.parentElement).toHaveAttribute(
        'title',
        'You are not allowed to launch rollouts of this entity.',
      ),
    );
    expect(launch).toBeDisabled();
  });
});
