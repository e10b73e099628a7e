import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import type { Config } from '@backstage/config';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

/**
 * A minimal backend with the canary plugin and the demo, and no other plugin: requests are
 * authenticated as a mock user and the catalog holds one entity per demo workload (by default the
 * one workload `demo-shop`). `yarn start` in this package runs it with the repository's
 * app-config; the crash and high-availability tests run it with their own config.
 */

/** A Component named after each workload in `canary.demo.workloads`, targeting it. */
function demoEntities(config: Config) {
  const workloads = config
    .getOptionalConfigArray('canary.demo.workloads')
    ?.map(w => ({
      name: w.getString('name'),
      namespace: w.getOptionalString('namespace'),
    })) ?? [{ name: 'demo-shop', namespace: undefined }];
  return workloads.map(({ name, namespace }) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'backstage.io/kubernetes-id': name,
        ...(namespace && { 'backstage.io/kubernetes-namespace': namespace }),
        'canary.backstage.io/router': 'demo',
        'canary.backstage.io/metrics': 'demo',
        'canary.backstage.io/workload': 'demo',
        'canary.backstage.io/preset': 'demo',
      },
    },
    spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
  }));
}

const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(
  createServiceFactory({
    service: catalogServiceRef,
    deps: { config: coreServices.rootConfig },
    factory: ({ config }) =>
      catalogServiceMock({ entities: demoEntities(config) }),
  }),
);
backend.add(import('@canary-release/backstage-plugin-canary-backend'));
backend.add(import('../src'));
backend.start();
