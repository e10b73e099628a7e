import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AuditEvent } from '@canary-release/backstage-plugin-canary-common';
import type { ListAuditEventsRequest } from '../../api';
import {
  ENTITY_REF,
  makeAuditEvent,
  makeRollout,
  mockCanaryApi,
  renderWithApis,
} from '../../__testUtils__/fixtures';
import {
  lastRequest,
  UrlProbe,
  urlFilters,
} from '../../__testUtils__/serverLists';
import { AuditTab } from './AuditTab';

const rollback: AuditEvent = makeAuditEvent({
  id: 7,
  actor: 'engine',
  action: 'rollback',
  phaseBefore: 'Progressing',
  phaseAfter: 'RollingBack',
  stageIndex: 0,
  weightsBefore: { stable: 95, canary: 5 },
  weightsAfter: { stable: 100, canary: 0 },
  reason:
    'The canary error rate of 5.20 % is above the 5 % limit: rolling back',
  details: {
    verdicts: makeRollout().analysis.latestVerdicts,
    decision: 'rollback',
  },
});

/** The tab listing only `rollback`; its row. */
async function renderRollbackRow() {
  await renderWithApis(<AuditTab />, {
    canaryApi: {
      ...mockCanaryApi(),
      listAuditEvents: jest.fn().mockResolvedValue({ items: [rollback] }),
    },
  });
  return (await screen.findByText(/is above the 5 % limit/)).closest('tr')!;
}

// Autocompletes and menus take a few seconds on a busy machine.
jest.setTimeout(30_000);

describe('AuditTab', () => {
  afterEach(() => jest.restoreAllMocks());

  it('lists events with their entity, actor, action, phase and weight changes and reason', async () => {
    const row = await renderRollbackRow();
    expect(
      within(row).getByRole('link', { name: 'demo-service' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/demo-service/canary?rollout=r-1',
    );
    expect(row).toHaveTextContent('engine');
    expect(row).toHaveTextContent('rollback');
    expect(row).toHaveTextContent('Progressing → Rolling back');
    expect(row).toHaveTextContent('5 % → 0 %');
  });

  it('shows the verdicts behind an automatic decision and the other details in an expanded row', async () => {
    const row = await renderRollbackRow();
    expect(
      screen.queryByText('Verdicts behind this decision'),
    ).not.toBeInTheDocument();

    await userEvent.click(within(row).getByTitle('The numbers'));

    expect(
      await screen.findByText('Verdicts behind this decision'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Not enough evidence yet either way.'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Details')).toHaveTextContent(
      '"decision": "rollback"',
    );
    expect(
      screen.getByRole('link', { name: 'Open the rollout' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/demo-service/canary?rollout=r-1',
    );
  });

  it('reads its filters from a shared URL and sends them to the server', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(<AuditTab />, {
      canaryApi,
      url:
        '/canary/audit?filters[entityRef]=component:default/demo-service&filters[action]=approve' +
        '&filters[actor]=user:default/alice&filters[from]=2026-01-01T00:00:00Z&filters[limit]=100',
    });

    await waitFor(() =>
      expect(canaryApi.listAuditEvents).toHaveBeenCalledWith({
        entityRef: ENTITY_REF,
        rolloutId: undefined,
        actor: 'user:default/alice',
        action: 'approve',
        from: '2026-01-01T00:00:00.000Z',
        to: undefined,
        limit: 100,
        cursor: undefined,
      }),
    );
    expect(screen.getByRole('textbox', { name: 'Action' })).toHaveValue(
      'approve',
    );
  });

  it('filters by entity, actor, action and time range, in the URL too', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(
      <>
        <AuditTab />
        <UrlProbe />
      </>,
      { canaryApi },
    );
    await screen.findByText('Ship the new checkout');

    await userEvent.type(
      screen.getByRole('textbox', { name: 'Entity' }),
      'demo-service{enter}',
    );
    await userEvent.click(screen.getByRole('textbox', { name: 'Actor' }));
    await userEvent.click(screen.getByRole('option', { name: 'engine' }));
    await userEvent.click(screen.getByRole('textbox', { name: 'Action' }));
    await userEvent.click(
      screen.getByRole('option', { name: 'await-approval' }),
    );
    await userEvent.type(screen.getByLabelText('From'), '2026-03-01T08:30');
    await userEvent.type(screen.getByLabelText('To'), '2026-03-02T17:00');

    const expected = {
      entityRef: ENTITY_REF,
      actor: 'engine',
      action: 'await-approval',
      from: new Date(2026, 2, 1, 8, 30).toISOString(),
      to: new Date(2026, 2, 2, 17, 0).toISOString(),
    };
    await waitFor(() =>
      expect(lastRequest(canaryApi.listAuditEvents)).toEqual({
        ...expected,
        limit: 50,
        cursor: undefined,
      }),
    );
    await waitFor(() =>
      expect(urlFilters()).toEqual({ ...expected, limit: '50' }),
    );
  });

  it('pages with the cursors the server gives', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.listAuditEvents.mockImplementation(
      async (request?: ListAuditEventsRequest) =>
        request?.cursor === 'a2'
          ? { items: [makeAuditEvent({ id: 2, reason: 'second page' })] }
          : {
              items: [makeAuditEvent({ id: 1, reason: 'first page' })],
              nextCursor: 'a2',
            },
    );
    await renderWithApis(<AuditTab />, { canaryApi });

    await screen.findByText('first page');
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('second page');
    expect(lastRequest(canaryApi.listAuditEvents).cursor).toBe('a2');
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    await screen.findByText('first page');
    expect(lastRequest(canaryApi.listAuditEvents).cursor).toBeUndefined();
  });

  it.each([
    ['CSV', 'csv'],
    ['JSON', 'json'],
  ] as const)(
    'exports the filtered trail as %s through the API and saves it',
    async (label, format) => {
      const canaryApi = mockCanaryApi();
      const blob = new Blob(['id,action\n1,approve\n']);
      canaryApi.exportAuditEvents.mockResolvedValue({
        blob,
        filename: `canary-audit.${format}`,
      });
      const createObjectURL = jest.fn(() => 'blob:http://localhost/file');
      Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
      const saved: Array<{ href: string; download: string }> = [];
      jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(function record(this: HTMLAnchorElement) {
          saved.push({ href: this.href, download: this.download });
        });
      await renderWithApis(<AuditTab />, {
        canaryApi,
        url: '/canary/audit?filters[action]=approve&filters[actor]=user:default/alice&filters[limit]=10',
      });
      await screen.findByText('Ship the new checkout');

      await userEvent.click(
        screen.getByRole('button', { name: `Export ${label}` }),
      );

      await waitFor(() =>
        expect(saved).toEqual([
          {
            href: 'blob:http://localhost/file',
            download: `canary-audit.${format}`,
          },
        ]),
      );
      // The filters without the page size: the export is the whole filtered trail.
      expect(canaryApi.exportAuditEvents).toHaveBeenCalledWith(format, {
        entityRef: undefined,
        rolloutId: undefined,
        actor: 'user:default/alice',
        action: 'approve',
        from: undefined,
        to: undefined,
      });
      expect(createObjectURL).toHaveBeenCalledWith(blob);
    },
  );

  it('says why an export failed', async () => {
    const canaryApi = mockCanaryApi();
    canaryApi.exportAuditEvents.mockRejectedValue(new Error('forbidden'));
    await renderWithApis(<AuditTab />, { canaryApi });
    await screen.findByText('Ship the new checkout');

    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));

    expect(
      await screen.findByText('The export failed: forbidden'),
    ).toBeInTheDocument();
  });
});
