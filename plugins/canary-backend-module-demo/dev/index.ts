import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

/**
 * A minimal backend with the canary plugin and the demo, and no other plugin: requests are
 * authenticated as a mock user and the catalog holds only the demo entity. `yarn start` in this
 * package runs it with the repository's app-config; the crash test runs it with its own config.
 */
const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(
  catalogServiceMock.factory({
    entities: [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'demo-shop',
          annotations: {
            'backstage.io/kubernetes-id': 'demo-shop',
            'canary.backstage.io/router': 'demo',
            'canary.backstage.io/metrics': 'demo',
            'canary.backstage.io/workload': 'demo',
            'canary.backstage.io/preset': 'demo',
          },
        },
        spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
      },
    ],
  }),
);
backend.add(import('@canary-release/backstage-plugin-canary-backend'));
backend.add(import('../src'));
backend.start();
