import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  allowedActions,
  PHASES,
  ROLLOUT_ACTIONS,
} from '@canary-release/backstage-plugin-canary-common';
import {
  makeRollout,
  mockCanaryApi,
  renderWithApis,
} from '../../__testUtils__/fixtures';
import { ACTIONS } from './actions';
import { RolloutControls } from './RolloutControls';

const button = (action: keyof typeof ACTIONS) =>
  screen.getByRole('button', { name: ACTIONS[action].label });

async function waitForPermission() {
  await waitFor(() =>
    expect(screen.queryAllByTitle('Checking your permissions…')).toHaveLength(
      0,
    ),
  );
}

describe('RolloutControls', () => {
  it.each(PHASES.map(phase => [phase]))(
    'enables exactly the actions the %s phase allows',
    async phase => {
      const rollout = makeRollout({
        phase,
        allowedActions: allowedActions(phase, false),
      });
      await renderWithApis(
        <RolloutControls rollout={rollout} onChanged={jest.fn()} />,
        { canaryApi: mockCanaryApi() },
      );
      await waitForPermission();

      const enabled = ROLLOUT_ACTIONS.filter(action =>
        button(action).matches(':enabled'),
      );
      expect(enabled).toEqual(rollout.allowedActions);
    },
  );

  it('says why a forbidden action is disabled', async () => {
    await renderWithApis(
      <RolloutControls rollout={makeRollout()} onChanged={jest.fn()} />,
      { canaryApi: mockCanaryApi() },
    );
    await waitForPermission();

    expect(button('resume')).toBeDisabled();
    expect(button('resume').parentElement).toHaveAttribute(
      'title',
      'Not possible while the rollout is progressing.',
    );
  });

  it('disables every action, with the reason, for a user without permission', async () => {
    await renderWithApis(
      <RolloutControls
        rollout={makeRollout({ entityRef: 'component:default/not-mine' })}
        onChanged={jest.fn()}
      />,
      { canaryApi: mockCanaryApi(), allowed: false },
    );

    const reason =
      'You are not allowed to control the rollouts of this entity.';
    await waitFor(() =>
      expect(screen.getAllByTitle(reason)).toHaveLength(ROLLOUT_ACTIONS.length),
    );
    for (const action of ROLLOUT_ACTIONS) {
      expect(button(action)).toBeDisabled();
    }
  });

  it('pauses at once', async () => {
    const canaryApi = mockCanaryApi();
    const paused = makeRollout({ phase: 'Paused' });
    canaryApi.performAction.mockResolvedValue(paused);
    const onChanged = jest.fn();
    await renderWithApis(
      <RolloutControls rollout={makeRollout()} onChanged={onChanged} />,
      { canaryApi },
    );
    await waitForPermission();

    await userEvent.click(button('pause'));

    expect(canaryApi.performAction).toHaveBeenCalledWith(
      'r-1',
      'pause',
      undefined,
    );
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(paused));
  });

  it('asks for confirmation and a reason before aborting', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.performAction.mockResolvedValue(
      makeRollout({ phase: 'RollingBack' }),
    );
    await renderWithApis(
      <RolloutControls rollout={makeRollout()} onChanged={jest.fn()} />,
      { canaryApi },
    );
    await waitForPermission();

    await userEvent.click(button('abort'));
    const dialog = screen.getByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Abort' });
    expect(confirm).toBeDisabled();

    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      '  errors are up  ',
    );
    expect(confirm).toBeEnabled();
    await userEvent.click(confirm);

    expect(canaryApi.performAction).toHaveBeenCalledWith(
      'r-1',
      'abort',
      'errors are up',
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it("shows the server's answer when an action is refused", async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.performAction.mockRejectedValue(
      new Error('promote is not allowed in phase Paused'),
    );
    await renderWithApis(
      <RolloutControls rollout={makeRollout()} onChanged={jest.fn()} />,
      { canaryApi },
    );
    await waitForPermission();

    await userEvent.click(button('promote'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Skip the rest of this stage and send 50 % of traffic to the canary now.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Promote' }),
    );

    expect(
      await within(dialog).findByText('promote is not allowed in phase Paused'),
    ).toBeInTheDocument();
    expect(canaryApi.performAction).toHaveBeenCalledWith(
      'r-1',
      'promote',
      undefined,
    );
  });
});
