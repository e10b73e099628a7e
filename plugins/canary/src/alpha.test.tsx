import { screen } from '@testing-library/react';
import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  annotatedEntity,
  mockCanaryApi,
  permissionApi,
} from './__testUtils__/fixtures';
import { canaryApiRef } from './api';
import canaryPlugin, { entityCanaryContent } from './alpha';

describe('canary plugin (new frontend system)', () => {
  it('is the canary plugin with its API and entity tab', () => {
    expect(canaryPlugin.id).toBe('canary');
    expect(canaryPlugin.getExtension('api:canary')).toBeDefined();
    expect(canaryPlugin.getExtension('entity-content:canary')).toBeDefined();
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
});
