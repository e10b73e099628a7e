import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  annotatedEntity,
  makeRollout,
  mockCanaryApi,
  permissionApi,
  presetEntity,
} from './__testUtils__/fixtures';
import { findStrategySelect } from './__testUtils__/launchDialog';
import { canaryApiRef } from './api';
import canaryPlugin, { canaryPage, entityCanaryContent } from './alpha';

// Whole test apps with the launch dialog: slow on a loaded 2-core CI machine.
jest.setTimeout(20_000);

describe('canary plugin (new frontend system)', () => {
  it('is the canary plugin with its API, page and entity tab', () => {
    expect(canaryPlugin.id).toBe('canary');
    expect(canaryPlugin.getExtension('api:canary')).toBeDefined();
    expect(canaryPlugin.getExtension('page:canary')).toBeDefined();
    expect(canaryPlugin.getExtension('entity-content:canary')).toBeDefined();
  });

  it('adds the Canary page at /canary, with what the sidebar needs to list it', () => {
    const tester = createExtensionTester(canaryPage);

    expect(tester.get(coreExtensionData.routePath)).toBe('/canary');
    // The app's nav lists pages with a title, an icon and a route.
    expect(tester.get(coreExtensionData.title)).toBe('Canary');
    expect(tester.get(coreExtensionData.icon)).toBeDefined();
    expect(tester.get(coreExtensionData.routeRef)).toBe(
      canaryPlugin.routes.root,
    );
  });

  it('adds a Canary tab to Component entities only', () => {
    const tester = createExtensionTester(entityCanaryContent);

    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Canary');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction);
    expect(filter?.(annotatedEntity)).toBe(true);
    expect(filter?.({ ...annotatedEntity, kind: 'API' })).toBe(false);
  });

  it('renders the tab of an entity', async () => {
    const canaryApi = mockCanaryApi([]);
    const tester = createExtensionTester(entityCanaryContent);

    renderInTestApp(
      <EntityProvider entity={annotatedEntity}>
        {tester.reactElement()}
      </EntityProvider>,
      {
        apis: [
          [canaryApiRef, canaryApi],
          [permissionApiRef, permissionApi(true)],
        ],
      },
    );

    expect(await screen.findByText('No rollouts yet')).toBeInTheDocument();
  });

  it("opens the launch dialog on the entity's preset, with estimates from the last rollout", async () => {
    const canaryApi = mockCanaryApi([
      makeRollout({ phase: 'Succeeded', allowedActions: [] }),
    ]);
    const tester = createExtensionTester(entityCanaryContent);
    renderInTestApp(
      <EntityProvider entity={presetEntity}>
        {tester.reactElement()}
      </EntityProvider>,
      {
        apis: [
          [canaryApiRef, canaryApi],
          [permissionApiRef, permissionApi(true)],
        ],
      },
    );

    const launch = await screen.findByRole('button', {
      name: 'Launch rollout',
    });
    await waitFor(() => expect(launch).toBeEnabled());
    await userEvent.click(launch);
    const dialog = screen.getByRole('dialog');
    expect(await findStrategySelect(dialog)).toHaveTextContent(
      'demo (preset of this entity)',
    );
    const [first] = within(
      within(dialog).getByRole('list', { name: 'Estimates per stage' }),
    ).getAllByRole('listitem');
    // At the 21 requests/s the last rollout saw, 50 canary requests take 50 s at 5 %.
    expect(first).toHaveTextContent(
      /^5 % for 30s–1m: ~50 s to promote a healthy canary, ~\d+ min to catch a 2x-margin regression \(\+4\.00 pts\)$/,
    );
  });
});
