import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Entity } from '@backstage/catalog-model';
import {
  FakeSignalApi,
  annotatedEntity,
  makeRollout,
  mockCanaryApi,
  renderWithApis,
  responseError,
} from '../../__testUtils__/fixtures';
import { CanaryContent } from './CanaryContent';

describe('CanaryContent', () => {
  it('shows setup instructions on an entity without the annotations', async () => {
    const canaryApi = mockCanaryApi();
    const entity: Entity = {
      ...annotatedEntity,
      metadata: { name: 'plain-service', namespace: 'default' },
    };

    await renderWithApis(<CanaryContent />, { canaryApi, entity });

    expect(
      screen.getByText('Canary releases are not set up for this entity'),
    ).toBeInTheDocument();
    const yaml = document.body.textContent!;
    expect(yaml).toContain('canary.backstage.io/router: istio');
    expect(yaml).toContain('backstage.io/kubernetes-id: plain-service');
    expect(yaml).toContain('backstage.io/kubernetes-namespace: default');
    expect(canaryApi.listRollouts).not.toHaveBeenCalled();
  });

  it('shows the latest rollout of the entity', async () => {
    const canaryApi = mockCanaryApi();

    await renderWithApis(<CanaryContent />, { canaryApi });

    expect(
      await screen.findByText('demo-service: canary 1.1.0'),
    ).toBeInTheDocument();
    expect(canaryApi.listRollouts).toHaveBeenCalledWith({
      entityRef: 'component:default/demo-service',
      limit: 20,
    });
    expect(screen.getByRole('alert').textContent).toContain(
      'Stage 2 of 3 running; no regression so far',
    );
    expect(
      screen.getByRole('img', { name: 'stable 75 %, canary 25 %' }),
    ).toBeInTheDocument();
    expect(await screen.findByText('Metrics over time')).toBeInTheDocument();
    expect(await screen.findByText('Audit trail')).toBeInTheDocument();
    expect(canaryApi.getAnalysis).toHaveBeenCalledWith('r-1');
    expect(canaryApi.listAuditEvents).toHaveBeenCalledWith({
      rolloutId: 'r-1',
      limit: 200,
    });
  });

  it("refreshes at once when the backend signals a change of the entity's rollouts", async () => {
    const canaryApi = mockCanaryApi();
    const signals = new FakeSignalApi();
    await renderWithApis(<CanaryContent />, { canaryApi, signals });
    expect(
      await screen.findByText('demo-service: canary 1.1.0'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Paused')).not.toBeInTheDocument();
    expect(signals.channels()).toEqual([
      'canary:entity:component:default/demo-service',
    ]);
    const loads = canaryApi.listRollouts.mock.calls.length;
    const audits = canaryApi.listAuditEvents.mock.calls.length;

    // With signals, polling slows to 15 s: what loads within the test's seconds is the signal's doing.
    canaryApi.listRollouts.mockResolvedValue({
      items: [makeRollout({ phase: 'Paused' })],
    });
    act(() =>
      signals.send('canary:entity:component:default/demo-service', {
        changedAt: '2026-12-04T12:00:00.000Z',
      }),
    );
    expect((await screen.findAllByText('Paused')).length).toBeGreaterThan(0);
    expect(canaryApi.listRollouts.mock.calls.length).toBe(loads + 1);
    expect(canaryApi.listAuditEvents.mock.calls.length).toBeGreaterThan(audits);
  });

  it('says which providers do not answer while they fail', async () => {
    const canaryApi = mockCanaryApi([
      makeRollout({
        faults: [
          {
            provider: 'metrics',
            operation: 'read',
            kind: 'prometheus',
            error: 'Prometheus answered 503',
            since: new Date().toISOString(),
          },
        ],
      }),
    ]);
    await renderWithApis(<CanaryContent />, { canaryApi });
    expect(
      await screen.findByText('A provider does not answer'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /^Reading the metrics \(prometheus\) fails since .+: Prometheus answered 503$/,
      ),
    ).toBeInTheDocument();
  });

  it('shows a past rollout picked from the history', async () => {
    const canaryApi = mockCanaryApi([
      makeRollout(),
      makeRollout({
        id: 'r-0',
        canaryVersion: '1.0.9',
        phase: 'RolledBack',
        message: 'Rolled back: error rate above 5 %',
        allowedActions: ['retry'],
      }),
    ]);
    await renderWithApis(<CanaryContent />, { canaryApi });

    const history = await screen.findByText('Rollouts of this entity');
    const table = history.closest('div[class*="MuiPaper"]') as HTMLElement;
    await userEvent.click(within(table).getByText('1.0.9'));

    expect(
      await screen.findByText('demo-service: canary 1.0.9'),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText('Rolled back: error rate above 5 %').length,
    ).toBeGreaterThan(0);
    await userEvent.click(screen.getByText('Show the latest rollout'));
    expect(
      await screen.findByText('demo-service: canary 1.1.0'),
    ).toBeInTheDocument();
  });

  it('opens on the rollout a link names, e.g. from the audit trail', async () => {
    const canaryApi = mockCanaryApi([
      makeRollout(),
      makeRollout({ id: 'r-0', canaryVersion: '1.0.9', phase: 'RolledBack' }),
    ]);

    await renderWithApis(<CanaryContent />, {
      canaryApi,
      url: '/?rollout=r-0',
    });

    expect(
      await screen.findByText('demo-service: canary 1.0.9'),
    ).toBeInTheDocument();
    expect(screen.getByText('Show the latest rollout')).toBeInTheDocument();
  });

  it('offers to launch when the entity has no rollouts', async () => {
    const canaryApi = mockCanaryApi([]);

    await renderWithApis(<CanaryContent />, { canaryApi });

    expect(await screen.findByText('No rollouts yet')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Launch rollout' }),
    ).toBeInTheDocument();
  });

  it('shows the error panel when the backend fails', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.listRollouts.mockRejectedValue(
      await responseError(500, 'Internal Server Error', {
        name: 'Error',
        message: 'database is down',
      }),
    );

    await renderWithApis(<CanaryContent />, { canaryApi });

    expect(
      await screen.findByText(/Request failed with 500 Internal Server Error/),
    ).toBeInTheDocument();
    expect(screen.getByText('database is down')).toBeInTheDocument();
  });
});
