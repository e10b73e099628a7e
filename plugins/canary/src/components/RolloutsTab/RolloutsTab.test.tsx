import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Entity } from '@backstage/catalog-model';
import {
  allowedActions,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import type { ListRolloutsRequest } from '../../api';
import {
  annotatedEntity,
  ENTITY_REF,
  makeRollout,
  mockCanaryApi,
  presetEntity,
  renderWithApis,
} from '../../__testUtils__/fixtures';
import {
  findStrategySelect,
  launchVersion,
} from '../../__testUtils__/launchDialog';
import {
  lastRequest,
  UrlProbe,
  urlFilters,
} from '../../__testUtils__/serverLists';
import { RolloutsTab } from './RolloutsTab';

/** What the tab asks for without filters: the first page of the newest 20. */
const UNFILTERED_REQUEST: ListRolloutsRequest = {
  phase: [],
  sort: 'createdAt',
  order: 'desc',
  limit: 20,
  cursor: undefined,
};

/** A select of the filter bar (the table's column headers are buttons too). */
const select = (label: string) =>
  screen
    .getAllByRole('button', { name: new RegExp(`^${label}`) })
    .find(button => button.getAttribute('aria-haspopup') === 'listbox')!;

const plainEntity: Entity = {
  ...annotatedEntity,
  metadata: { name: 'plain-service', namespace: 'default' },
};

const owned = makeRollout({
  owner: 'group:default/team-a',
  system: 'system:default/shop',
});

// Menus, autocompletes and dialogs take a few seconds on a busy machine.
jest.setTimeout(30_000);

describe('RolloutsTab', () => {
  it('lists rollouts with a link to their tab, versions, phase, stage, owner and system', async () => {
    await renderWithApis(<RolloutsTab />, {
      canaryApi: mockCanaryApi([owned]),
    });

    const row = (await screen.findByText('1.0.0 → 1.1.0')).closest('tr')!;
    expect(
      within(row).getByRole('link', { name: 'demo-service' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/demo-service/canary?rollout=r-1',
    );
    expect(row).toHaveTextContent('Progressing');
    expect(row).toHaveTextContent('2 of 3 (25 %)');
    expect(
      within(row).getByRole('img', { name: 'stable 75 %, canary 25 %' }),
    ).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'team-a' })).toHaveAttribute(
      'href',
      '/catalog/default/group/team-a',
    );
    expect(within(row).getByRole('link', { name: 'shop' })).toBeInTheDocument();
    expect(row).toHaveTextContent('45 minutes ago');
    expect(row).toHaveTextContent(/updated \d+ seconds ago/);
  });

  it('reads its filters from a shared URL and sends them to the server', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(<RolloutsTab />, {
      canaryApi,
      url:
        '/canary?filters[phases][0]=AwaitingApproval&filters[phases][1]=Paused' +
        '&filters[owner]=group:default/team-a&filters[createdAfter]=2026-01-01T00:00:00Z' +
        '&filters[sort]=updatedAt&filters[order]=asc&filters[limit]=50',
    });

    await waitFor(() =>
      expect(canaryApi.listRollouts).toHaveBeenCalledWith({
        phase: ['Paused', 'AwaitingApproval'],
        owner: 'group:default/team-a',
        system: undefined,
        createdAfter: '2026-01-01T00:00:00.000Z',
        createdBefore: undefined,
        sort: 'updatedAt',
        order: 'asc',
        limit: 50,
        cursor: undefined,
      }),
    );
    expect(select('Phase')).toHaveTextContent('Paused, Awaiting approval');
    expect(screen.getByRole('textbox', { name: 'Owner' })).toHaveValue(
      'group:default/team-a',
    );
  });

  it('ignores what it does not know in the URL', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(<RolloutsTab />, {
      canaryApi,
      url: '/canary?filters[phases]=Sleeping&filters[sort]=drop%20table&filters[limit]=7&filters[createdAfter]=yesterday',
    });

    await waitFor(() => expect(canaryApi.listRollouts).toHaveBeenCalled());
    expect(lastRequest(canaryApi.listRollouts)).toEqual(UNFILTERED_REQUEST);
  });

  it('puts the filters it is given into the URL and asks the server for them', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(
      <>
        <RolloutsTab />
        <UrlProbe />
      </>,
      { canaryApi },
    );
    await screen.findByText('1.0.0 → 1.1.0');

    await userEvent.click(select('Phase'));
    await userEvent.click(
      screen.getByRole('option', { name: 'Awaiting approval' }),
    );
    await userEvent.click(screen.getByRole('option', { name: 'Progressing' }));
    await userEvent.keyboard('{Escape}');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Owner' }),
      'team-a{enter}',
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'System' }),
      'system:default/shop{enter}',
    );
    await userEvent.click(select('Sort by'));
    await userEvent.click(screen.getByRole('option', { name: 'Entity' }));
    await userEvent.click(select('Order'));
    await userEvent.click(screen.getByRole('option', { name: 'Ascending' }));

    const expected = {
      phase: ['Progressing', 'AwaitingApproval'],
      owner: 'group:default/team-a',
      system: 'system:default/shop',
      sort: 'entityRef',
      order: 'asc',
      limit: 20,
    };
    await waitFor(() =>
      expect(lastRequest(canaryApi.listRollouts)).toMatchObject(expected),
    );
    await waitFor(() =>
      expect(urlFilters()).toEqual({
        phases: ['Progressing', 'AwaitingApproval'],
        owner: 'group:default/team-a',
        system: 'system:default/shop',
        sort: 'entityRef',
        order: 'asc',
        limit: '20',
      }),
    );

    await userEvent.click(
      screen.getByRole('button', { name: 'Clear filters' }),
    );
    await waitFor(() =>
      expect(lastRequest(canaryApi.listRollouts)).toEqual(UNFILTERED_REQUEST),
    );
  });

  it('sends the created-after and created-before times as ISO times', async () => {
    const canaryApi = mockCanaryApi();
    await renderWithApis(<RolloutsTab />, { canaryApi });
    await screen.findByText('1.0.0 → 1.1.0');

    await userEvent.type(
      screen.getByLabelText('Created after'),
      '2026-03-01T08:30',
    );
    await userEvent.type(
      screen.getByLabelText('Created before'),
      '2026-03-02T17:00',
    );

    await waitFor(() =>
      expect(lastRequest(canaryApi.listRollouts)).toMatchObject({
        createdAfter: new Date(2026, 2, 1, 8, 30).toISOString(),
        createdBefore: new Date(2026, 2, 2, 17, 0).toISOString(),
      }),
    );
  });

  it('pages forward and back with the cursors the server gives, and starts over on new filters', async () => {
    const canaryApi = mockCanaryApi();
    const pages: Record<string, { version: string; next?: string }> = {
      first: { version: '2.0.0', next: 'c2' },
      c2: { version: '2.1.0', next: 'c3' },
      c3: { version: '2.2.0' },
    };
    canaryApi.listRollouts.mockImplementation(
      async (request?: ListRolloutsRequest) => {
        const page = pages[request?.cursor ?? 'first'];
        return {
          items: [makeRollout({ canaryVersion: page.version })],
          nextCursor: page.next,
        };
      },
    );
    await renderWithApis(<RolloutsTab />, { canaryApi });
    const next = () => screen.getByRole('button', { name: 'Next' });
    const previous = () => screen.getByRole('button', { name: 'Previous' });

    await screen.findByText('1.0.0 → 2.0.0');
    expect(previous()).toBeDisabled();
    await userEvent.click(next());
    await screen.findByText('1.0.0 → 2.1.0');
    expect(lastRequest(canaryApi.listRollouts).cursor).toBe('c2');
    await userEvent.click(next());
    await screen.findByText('1.0.0 → 2.2.0');
    expect(lastRequest(canaryApi.listRollouts).cursor).toBe('c3');
    expect(next()).toBeDisabled();
    expect(screen.getByText('Page 3')).toBeInTheDocument();

    await userEvent.click(previous());
    await screen.findByText('1.0.0 → 2.1.0');
    expect(lastRequest(canaryApi.listRollouts).cursor).toBe('c2');

    await userEvent.click(select('Per page'));
    await userEvent.click(screen.getByRole('option', { name: '50' }));
    await screen.findByText('1.0.0 → 2.0.0');
    expect(lastRequest(canaryApi.listRollouts)).toMatchObject({
      limit: 50,
      cursor: undefined,
    });
    expect(screen.getByText('Page 1')).toBeInTheDocument();
  });

  it('offers the row actions the phase allows and approves after confirmation', async () => {
    const waiting = makeRollout({
      phase: 'AwaitingApproval',
      allowedActions: allowedActions('AwaitingApproval', false),
    });
    const canaryApi = mockCanaryApi([waiting]);
    canaryApi.performAction.mockResolvedValue(
      makeRollout({ phase: 'Progressing', stageIndex: 2 }),
    );
    await renderWithApis(<RolloutsTab />, { canaryApi });

    const approve = await screen.findByRole('button', {
      name: 'Approve demo-service 1.1.0',
    });
    await waitFor(() => expect(approve).toBeEnabled());
    expect(
      screen.getByRole('button', { name: 'Abort demo-service 1.1.0' }),
    ).toBeEnabled();
    expect(
      screen.queryByRole('button', { name: /^(Pause|Resume|Retry) / }),
    ).not.toBeInTheDocument();
    const loads = canaryApi.listRollouts.mock.calls.length;

    await userEvent.click(approve);
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Approve the next stage: 50 % of traffic to the canary.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );

    expect(canaryApi.performAction).toHaveBeenCalledWith(
      'r-1',
      'approve',
      undefined,
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    // The list is asked again at once, not at the next poll.
    expect(canaryApi.listRollouts.mock.calls.length).toBeGreaterThan(loads);
  });

  it('disables row actions, with the reason, for a user without permission', async () => {
    await renderWithApis(<RolloutsTab />, {
      // Another entity than the other tests': permission answers are cached per resource.
      canaryApi: mockCanaryApi([
        makeRollout({ entityRef: 'component:default/not-mine' }),
      ]),
      allowed: false,
    });

    const pause = await screen.findByRole('button', {
      name: 'Pause demo-service 1.1.0',
    });
    await waitFor(
      () =>
        expect(pause.parentElement).toHaveAttribute(
          'title',
          'You are not allowed to control the rollouts of this entity.',
        ),
      { timeout: 5000 },
    );
    expect(pause).toBeDisabled();
    // Promotions are left to the entity's tab.
    expect(
      screen.queryByRole('button', { name: /^Promote/ }),
    ).not.toBeInTheDocument();
  });

  describe('Launch', () => {
    function apiWithHistory(history: Rollout[]) {
      const canaryApi = mockCanaryApi();
      canaryApi.listRollouts.mockImplementation(
        async (request?: ListRolloutsRequest) => ({
          items: request?.entityRef === ENTITY_REF ? history : [],
        }),
      );
      return canaryApi;
    }

    async function pick(name: string) {
      await userEvent.click(
        screen.getByRole('button', { name: 'Launch rollout' }),
      );
      const picker = screen.getByRole('dialog');
      await userEvent.click(
        within(picker).getByRole('textbox', { name: 'Entity' }),
      );
      await userEvent.click(await screen.findByRole('option', { name }));
      return picker;
    }

    it('opens the launch dialog for the picked entity, with its preset', async () => {
      const canaryApi = apiWithHistory([
        makeRollout({ phase: 'Succeeded', allowedActions: [] }),
      ]);
      canaryApi.launchRollout.mockResolvedValue(makeRollout({ id: 'r-2' }));
      await renderWithApis(<RolloutsTab />, {
        canaryApi,
        catalog: [presetEntity, plainEntity],
      });

      await userEvent.click(
        screen.getByRole('button', { name: 'Launch rollout' }),
      );
      await userEvent.click(screen.getByRole('textbox', { name: 'Entity' }));
      // Only the entity set up for canary releases is offered.
      expect(
        (await screen.findAllByRole('option')).map(o => o.textContent),
      ).toEqual(['demo-service']);
      await userEvent.click(
        screen.getByRole('option', { name: 'demo-service' }),
      );
      const next = screen.getByRole('button', { name: 'Continue' });
      await waitFor(() => expect(next).toBeEnabled());
      await userEvent.click(next);

      const dialog = screen.getByRole('dialog');
      expect(await findStrategySelect(dialog)).toHaveTextContent(
        'demo (preset of this entity)',
      );
      // The version serving today, from the entity's last rollout.
      expect(within(dialog).getByLabelText('Stable version')).toHaveAttribute(
        'placeholder',
        '1.1.0',
      );
      await launchVersion(dialog, '1.2.0');

      expect(canaryApi.launchRollout).toHaveBeenCalledWith({
        entityRef: ENTITY_REF,
        canaryVersion: '1.2.0',
        preset: 'demo',
      });
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
    });

    it('says why an entity with an active rollout cannot get another', async () => {
      const canaryApi = apiWithHistory([makeRollout()]);
      await renderWithApis(<RolloutsTab />, {
        canaryApi,
        catalog: [presetEntity],
      });

      const picker = await pick('demo-service');

      expect(
        await within(picker).findByText(
          'The rollout of 1.1.0 is progressing; one rollout runs at a time.',
        ),
      ).toBeInTheDocument();
      expect(
        within(picker).getByRole('button', { name: 'Continue' }),
      ).toBeDisabled();
    });
  });
});
