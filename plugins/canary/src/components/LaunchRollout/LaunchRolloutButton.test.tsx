import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  ENTITY_REF,
  makeRollout,
  makeStrategies,
  mockCanaryApi,
  renderWithApis,
  responseError,
} from '../../__testUtils__/fixtures';
import {
  findStrategySelect,
  launchVersion,
} from '../../__testUtils__/launchDialog';
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
  const dialog = screen.getByRole('dialog');
  // The configured strategies have loaded.
  await findStrategySelect(dialog);
  return dialog;
}

// Typing into the dialog's many fields takes a few seconds on a busy machine.
jest.setTimeout(20_000);

describe('LaunchRolloutButton', () => {
  it("launches with the entity's preset, preselected", async () => {
    const canaryApi = mockCanaryApi();
    const launched = makeRollout({ id: 'r-2', phase: 'Pending' });
    canaryApi.launchRollout.mockResolvedValue(launched);
    const onLaunched = jest.fn();
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        entityPreset="demo"
        history={[finished]}
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
    expect(
      within(dialog).getByRole('button', { name: /^Strategy/ }),
    ).toHaveTextContent('demo (preset of this entity)');
    expect(dialog).toHaveTextContent(
      '5 % → 25 % → 50 %, a look every 10s, error-rate margin +2.00 pts',
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
      preset: 'demo',
      reason: 'New search',
    });
    await waitFor(() => expect(onLaunched).toHaveBeenCalledWith(launched));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it("leaves the strategy to the server's defaults for an entity without a preset", async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.launchRollout.mockResolvedValue(makeRollout({ id: 'r-2' }));
    await renderWithApis(
      <LaunchRolloutButton entityRef={ENTITY_REF} onLaunched={jest.fn()} />,
      { canaryApi },
    );

    const dialog = await openDialog();
    expect(
      within(dialog).getByRole('button', { name: /^Strategy/ }),
    ).toHaveTextContent('The server’s defaults');
    // The metrics' margins and hard ceilings.
    expect(dialog).toHaveTextContent(
      '5 % → 25 % → 50 %, a look every 1m, error-rate margin +0.50 pts (at most 5.00 % and 2x baseline), latency margin +10.0 % (at most 2 s)',
    );
    await launchVersion(dialog, '1.2.0');

    expect(canaryApi.launchRollout).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      canaryVersion: '1.2.0',
    });
  });

  it("sends the defaults in full when they are picked over the entity's preset", async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.launchRollout.mockResolvedValue(makeRollout({ id: 'r-2' }));
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        entityPreset="demo"
        onLaunched={jest.fn()}
      />,
      { canaryApi },
    );

    const dialog = await openDialog();
    await userEvent.click(
      within(dialog).getByRole('button', { name: /^Strategy/ }),
    );
    await userEvent.click(
      screen.getByRole('option', { name: 'The server’s defaults' }),
    );
    await launchVersion(dialog, '1.2.0');

    const request = canaryApi.launchRollout.mock.calls[0][0];
    expect(request.preset).toBeUndefined();
    expect(request.strategy).toMatchObject({
      stages: [
        { weight: 5, minDuration: '30m', maxDuration: '1h' },
        { weight: 25, minDuration: '1h', maxDuration: '2h' },
        { weight: 50, minDuration: '2h', maxDuration: '4h' },
      ],
      analysis: {
        interval: '1m',
        minRequestsPerStage: 500,
        metrics: makeStrategies().defaults.analysis.metrics,
      },
      progressDeadline: '10m',
    });
  });

  it("launches with custom stages, starting from the chosen strategy's", async () => {
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
    // Starts from the defaults: 5 % 30m, 25 % 1h, 50 % 2h.
    await userEvent.click(within(dialog).getByLabelText('Remove stage 3'));
    const weight = within(dialog).getByLabelText('Stage 2 weight (%)');
    await userEvent.clear(weight);
    await userEvent.type(weight, '50');
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
          {
            weight: 5,
            minDuration: '30m',
            maxDuration: '1h',
            requireApproval: false,
          },
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
    expect(dialog).toHaveTextContent('Fix the stages to see estimates.');
    expect(
      within(dialog).getByRole('button', { name: 'Launch' }),
    ).toBeDisabled();
    expect(canaryApi.launchRollout).not.toHaveBeenCalled();
  });

  it("estimates each stage's time to a decision from the observed traffic", async () => {
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        history={[finished]}
        onLaunched={jest.fn()}
      />,
      { canaryApi: mockCanaryApi() },
    );

    const dialog = await openDialog();
    // 12,000 requests in the 570 s of its last stage; 9 errors in 9,000 baseline requests.
    const traffic = within(dialog).getByLabelText('Traffic (requests/s)');
    expect(traffic).toHaveValue('21.1');
    expect(
      within(dialog).getByLabelText('Baseline error rate (%)'),
    ).toHaveValue('0.1');
    const estimates = within(dialog).getByRole('list', {
      name: 'Estimates per stage',
    });
    const [first] = within(estimates).getAllByRole('listitem');
    expect(first).toHaveTextContent(
      /^5 % for 30m–1h: ~30 min to promote a healthy canary, ~\d+ min to catch a 2x-margin regression \(\+1\.00 pts\)$/,
    );

    await userEvent.clear(traffic);
    await userEvent.type(traffic, '1');

    const replanned = within(dialog).getByRole('list', {
      name: 'Estimates per stage',
    });
    expect(within(replanned).getAllByRole('listitem')[0]).toHaveTextContent(
      "5 % for 30m–1h: needs more than the stage's maximum (1h) at this traffic (~3.5 h to promote a healthy canary), so it would roll back",
    );
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
    await launchVersion(dialog, '1.0.0');

    expect(
      await within(dialog).findByText(
        'canaryVersion 1.0.0 is the stable version',
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Launch' }),
    ).toBeEnabled();
  });

  it("shows the platform policy's 403 with the rule that refused", async () => {
    const refusal =
      "refused by canary.policy.minStageDuration: stage 1 lasts 1m, the platform's minimum is 5m";
    const canaryApi = mockCanaryApi();
    canaryApi.launchRollout.mockRejectedValue(
      await responseError(403, 'Forbidden', {
        name: 'NotAllowedError',
        message: refusal,
      }),
    );
    await renderWithApis(
      <LaunchRolloutButton entityRef={ENTITY_REF} onLaunched={jest.fn()} />,
      { canaryApi },
    );

    const dialog = await openDialog();
    await launchVersion(dialog, '1.2.0');

    expect(await within(dialog).findByText(refusal)).toBeInTheDocument();
  });

  it('launches with the server’s choice when the strategies cannot be loaded', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.getStrategies.mockRejectedValue(new Error('offline'));
    canaryApi.launchRollout.mockResolvedValue(makeRollout({ id: 'r-2' }));
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        entityPreset="demo"
        onLaunched={jest.fn()}
      />,
      { canaryApi },
    );

    await userEvent.click(
      await screen.findByRole('button', { name: 'Launch rollout' }),
    );
    const dialog = screen.getByRole('dialog');
    expect(
      await within(dialog).findByText(/could not be loaded \(offline\)/),
    ).toBeInTheDocument();
    await launchVersion(dialog, '1.2.0');

    expect(canaryApi.launchRollout).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      canaryVersion: '1.2.0',
    });
  });

  it('is disabled, with the reason, while a rollout is active', async () => {
    await renderWithApis(
      <LaunchRolloutButton
        entityRef={ENTITY_REF}
        history={[makeRollout()]}
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
