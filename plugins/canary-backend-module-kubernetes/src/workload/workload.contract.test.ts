import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import { TargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import {
  ClusterAccess,
  OWNED_BY_TEST_ENTITY,
  TEST_ENTITY,
  TestCluster,
  allowing,
  createNamespace,
  createObject,
  findObject,
  markRolledOut,
  mergePatchObject,
  moduleConfig,
  readObject,
  registryFor,
  stableDeployment,
  testServers,
} from '../__testUtils__/testClusters';
import { DEPLOYMENTS, Deployment } from '../kube/resources';
import { ENTITY_LABEL, entityMark } from '../ownership';
import { KubernetesWorkloadController } from './KubernetesWorkloadController';

// Each test creates its namespace and objects over HTTP; a busy CI machine needs more than 5 s.
jest.setTimeout(30_000);

/**
 * The workload controller against the fake and, when configured, a real kube-apiserver. There is
 * no Deployment controller: `markRolledOut` reports a Deployment's pods ready, as one would.
 */

describe.each(testServers)(
  'the kubernetes workload controller against %s',
  (_, start) => {
    let cluster: TestCluster;

    beforeAll(async () => {
      cluster = await start();
    }, 30_000);

    afterAll(async () => {
      await cluster.close();
    });

    /** A namespace with the stable Deployment `shop` (4 replicas of 1.0.0, rolled out). */
    async function setUp(workload: object = {}, access: ClusterAccess = {}) {
      const namespace = await createNamespace(cluster);
      await createObject(
        cluster,
        DEPLOYMENTS,
        namespace,
        stableDeployment('shop', 'registry.example:5000/team/shop:1.0.0', 4),
      );
      await markRolledOut(cluster, namespace, 'shop');
      const { settings, clusters } = await registryFor(
        moduleConfig(cluster, access, { workload, ...allowing(namespace) }),
      );
      const controller = new KubernetesWorkloadController(clusters, {
        ...settings.workload,
        conflictAttempts: settings.conflictAttempts,
      });
      const target: RolloutTarget = {
        namespace,
        name: 'shop',
        router: 'istio',
        metrics: 'memory',
        workload: 'kubernetes',
        entityRef: TEST_ENTITY,
      };
      const deployment = (name: string) =>
        readObject<Deployment>(cluster, DEPLOYMENTS, namespace, name);
      return { namespace, controller, target, deployment };
    }

    it('reports the stable version (the first container’s image tag) and readiness', async () => {
      const { namespace, controller, target } = await setUp();
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.0.0', ready: true },
      });
      await mergePatchObject(cluster, DEPLOYMENTS, namespace, 'shop', {
        spec: { replicas: 5 },
      });
      // The controller has not seen the new generation yet.
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.0.0', ready: false },
      });
    });

    it('creates the canary from the stable Deployment, sized for its weight, and reports it ready once rolled out', async () => {
      const { namespace, controller, target, deployment } = await setUp();
      await controller.deployCanary(target, '1.1.0', 5);
      const stable = await deployment('shop');
      const canary = await deployment('shop-canary');
      expect(canary.metadata.labels).toEqual({
        'canary.backstage.io/arm': 'canary',
        ...OWNED_BY_TEST_ENTITY,
        'app.kubernetes.io/managed-by': 'backstage-canary-release',
      });
      expect(canary.metadata.annotations).toEqual({
        'canary.backstage.io/source-deployment': 'shop',
      });
      expect(canary.spec.replicas).toBe(1); // max(1, ceil(4 * 5 / 100))
      expect(canary.spec.selector).toEqual({
        matchLabels: { app: 'shop', 'canary.backstage.io/arm': 'canary' },
      });
      expect(canary.spec.template.metadata!.labels).toEqual({
        app: 'shop',
        'canary.backstage.io/arm': 'canary',
      });
      expect(canary.spec.template.metadata!.annotations).toEqual(
        stable.spec.template.metadata!.annotations,
      );
      expect(canary.spec.template.spec.containers.map(c => c.image)).toEqual([
        'registry.example:5000/team/shop:1.1.0',
        'envoyproxy/envoy:v1.30.0',
      ]);
      expect(canary.spec.template.spec.containers[0]).toEqual({
        ...stable.spec.template.spec.containers[0],
        image: 'registry.example:5000/team/shop:1.1.0',
      });
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.0.0', ready: true },
        canary: { version: '1.1.0', ready: false },
      });
      await markRolledOut(cluster, namespace, 'shop-canary');
      await expect(controller.getState(target)).resolves.toMatchObject({
        canary: { version: '1.1.0', ready: true },
      });

      // Deploying the same again writes nothing.
      const rolledOut = await deployment('shop-canary');
      await controller.deployCanary(target, '1.1.0', 5);
      expect((await deployment('shop-canary')).metadata.resourceVersion).toBe(
        rolledOut.metadata.resourceVersion,
      );
    });

    it('scales the canary in proportion to its weight through /scale', async () => {
      const { controller, target, deployment } = await setUp();
      await controller.deployCanary(target, '1.1.0', 5);
      const small = await deployment('shop-canary');
      await controller.deployCanary(target, '1.1.0', 60);
      const large = await deployment('shop-canary');
      expect(large.spec.replicas).toBe(3); // ceil(4 * 60 / 100)
      expect(large.metadata.generation).toBe(small.metadata.generation! + 1);
      expect(large.spec.template).toEqual(small.spec.template);
    });

    it('runs the canary at stable’s size with scaling off, and at least minReplicas', async () => {
      const off = await setUp({ scaling: { mode: 'off' } });
      await off.controller.deployCanary(off.target, '1.1.0', 5);
      expect((await off.deployment('shop-canary')).spec.replicas).toBe(4);
      const floor = await setUp({ scaling: { minReplicas: 2 } });
      await floor.controller.deployCanary(floor.target, '1.1.0', 5);
      expect((await floor.deployment('shop-canary')).spec.replicas).toBe(2);
    });

    it('runs a baseline of the stable version at the canary’s size; the canary is ready when both are', async () => {
      const { namespace, controller, target, deployment } = await setUp();
      await controller.deployCanary(target, '1.1.0', 50, {
        baselineVersion: '1.0.0',
      });
      const baseline = await deployment('shop-baseline');
      expect(baseline.spec.replicas).toBe(2);
      expect(
        baseline.spec.template.metadata!.labels!['canary.backstage.io/arm'],
      ).toBe('baseline');
      expect(baseline.spec.template.spec.containers[0].image).toBe(
        'registry.example:5000/team/shop:1.0.0',
      );
      await markRolledOut(cluster, namespace, 'shop-canary');
      await expect(controller.getState(target)).resolves.toMatchObject({
        canary: { ready: false },
      });
      await markRolledOut(cluster, namespace, 'shop-baseline');
      await expect(controller.getState(target)).resolves.toMatchObject({
        canary: { version: '1.1.0', ready: true },
      });
    });

    it('scales canary and baseline to zero on removal, and brings the canary back in line with stable when deployed again', async () => {
      const { namespace, controller, target, deployment } = await setUp();
      await controller.deployCanary(target, '1.1.0', 25, {
        baselineVersion: '1.0.0',
      });
      await controller.removeCanary(target);
      expect((await deployment('shop-canary')).spec.replicas).toBe(0);
      expect((await deployment('shop-baseline')).spec.replicas).toBe(0);
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.0.0', ready: true },
      });
      const removed = await deployment('shop-canary');
      await controller.removeCanary(target);
      expect((await deployment('shop-canary')).metadata.resourceVersion).toBe(
        removed.metadata.resourceVersion,
      );

      // Stable changed meanwhile: the next canary runs stable's new template with its own version.
      await mergePatchObject(cluster, DEPLOYMENTS, namespace, 'shop', {
        spec: {
          template: { metadata: { annotations: { 'config-hash': 'b2' } } },
        },
      });
      await controller.deployCanary(target, '1.2.0', 25);
      const redeployed = await deployment('shop-canary');
      expect(redeployed.spec.replicas).toBe(1);
      expect(redeployed.spec.template.metadata!.annotations).toMatchObject({
        'config-hash': 'b2',
      });
      expect(redeployed.spec.template.spec.containers[0].image).toBe(
        'registry.example:5000/team/shop:1.2.0',
      );
    });

    it('promotes by setting the stable Deployment’s image tag, once, leaving the other containers alone', async () => {
      const { namespace, controller, target, deployment } = await setUp();
      const before = await deployment('shop');
      await controller.setStableVersion(target, '1.1.0');
      const after = await deployment('shop');
      expect(after.spec.template.spec.containers.map(c => c.image)).toEqual([
        'registry.example:5000/team/shop:1.1.0',
        'envoyproxy/envoy:v1.30.0',
      ]);
      expect(after.metadata.generation).toBe(before.metadata.generation! + 1);
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.1.0', ready: false },
      });
      await markRolledOut(cluster, namespace, 'shop');
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.1.0', ready: true },
      });
      const rolledOut = await deployment('shop');
      await controller.setStableVersion(target, '1.1.0');
      expect((await deployment('shop')).metadata.resourceVersion).toBe(
        rolledOut.metadata.resourceVersion,
      );
    });

    it('uses the configured container’s image', async () => {
      const { controller, target, deployment } = await setUp({
        container: 'proxy',
      });
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: 'v1.30.0', ready: true },
      });
      await controller.setStableVersion(target, 'v1.31.0');
      expect(
        (await deployment('shop')).spec.template.spec.containers.map(
          c => c.image,
        ),
      ).toEqual([
        'registry.example:5000/team/shop:1.0.0',
        'envoyproxy/envoy:v1.31.0',
      ]);
      const missing = await setUp({ container: 'sidecar' });
      await expect(missing.controller.getState(missing.target)).rejects.toThrow(
        `Deployment ${missing.namespace}/shop has no container "sidecar" (containers: app, proxy); set canary.kubernetes.workload.container`,
      );
    });

    it('names what is wrong: a missing stable Deployment, a foreign canary, a bad version, missing RBAC', async () => {
      const { namespace, controller, target } = await setUp();
      await expect(
        controller.getState({ ...target, name: 'cart' }),
      ).rejects.toThrow(NotFoundError);
      await expect(
        controller.deployCanary({ ...target, name: 'cart' }, '1.1.0', 5),
      ).rejects.toThrow(
        `Deployment ${namespace}/cart does not exist in Kubernetes cluster "test"`,
      );
      await expect(
        controller.deployCanary(target, '1.1.0"; rm -rf', 5),
      ).rejects.toThrow(InputError);
      await expect(controller.setStableVersion(target, '')).rejects.toThrow(
        /Invalid version ""/,
      );

      await createObject(cluster, DEPLOYMENTS, namespace, {
        ...stableDeployment('shop-canary', 'other/app:1', 1),
      });
      await expect(controller.deployCanary(target, '1.1.0', 5)).rejects.toThrow(
        ConflictError,
      );
      await expect(controller.deployCanary(target, '1.1.0', 5)).rejects.toThrow(
        `Deployment ${namespace}/shop-canary exists but was not made by the canary module (it lacks the label canary.backstage.io/arm=canary); rename or delete it`,
      );
      // A foreign Deployment of that name is not reported as the canary.
      await expect(controller.getState(target)).resolves.toEqual({
        stable: { version: '1.0.0', ready: true },
      });
      expect(
        await findObject(cluster, DEPLOYMENTS, namespace, 'shop-baseline'),
      ).toBeUndefined();

      const unprivileged = await setUp({}, { unprivileged: true });
      await expect(
        unprivileged.controller.deployCanary(unprivileged.target, '1.1.0', 5),
      ).rejects.toThrow(NotAllowedError);
    });

    describe('the trust boundary', () => {
      /** Every write the controller makes, and the launch check. */
      const writes = (
        controller: KubernetesWorkloadController,
        target: RolloutTarget,
      ) => [
        () =>
          controller.deployCanary(target, '1.1.0', 5, {
            baselineVersion: '1.0.0',
          }),
        () => controller.setStableVersion(target, '1.1.0'),
        () => controller.removeCanary(target),
        () => controller.checkTarget(target),
      ];

      it('refuses every write to a stable Deployment without the ownership mark, and changes nothing', async () => {
        const { namespace, controller, target, deployment } = await setUp();
        await mergePatchObject(cluster, DEPLOYMENTS, namespace, 'shop', {
          metadata: { labels: { [ENTITY_LABEL]: null } },
        });
        const before = await deployment('shop');
        const mark = entityMark(TEST_ENTITY);
        for (const write of writes(controller, target)) {
          await expect(write()).rejects.toThrow(
            `Deployment ${namespace}/shop lacks the label canary.backstage.io/entity=${mark} that marks it as component:default/shop's; add it to allow canary releases: kubectl label -n ${namespace} deployments.apps/shop canary.backstage.io/entity=${mark} (rule: ownership mark)`,
          );
        }
        await expect(
          controller.setStableVersion(target, '1.1.0'),
        ).rejects.toThrow(TargetRefusedError);
        expect((await deployment('shop')).metadata.resourceVersion).toBe(
          before.metadata.resourceVersion,
        );
        for (const arm of ['shop-canary', 'shop-baseline']) {
          expect(
            await findObject(cluster, DEPLOYMENTS, namespace, arm),
          ).toBeUndefined();
        }
      });

      it('refuses a stable Deployment marked as another entity’s', async () => {
        const { namespace, controller, target, deployment } = await setUp();
        const before = await deployment('shop');
        const other = { ...target, entityRef: 'component:default/cart' };
        for (const write of writes(controller, other)) {
          await expect(write()).rejects.toThrow(
            `Deployment ${namespace}/shop carries the label canary.backstage.io/entity=${entityMark(
              TEST_ENTITY,
            )}, which marks it as another entity's, not component:default/cart's (${entityMark(
              'component:default/cart',
            )}) (rule: ownership mark)`,
          );
        }
        expect((await deployment('shop')).metadata.resourceVersion).toBe(
          before.metadata.resourceVersion,
        );
        // The mark is the same for any spelling of the ref: refs are case-insensitive.
        await controller.checkTarget({
          ...target,
          entityRef: 'Component:default/Shop',
        });
      });

      it('does not touch a canary Deployment without the mark, nor report it', async () => {
        const { namespace, controller, target, deployment } = await setUp();
        await controller.deployCanary(target, '1.1.0', 5);
        await mergePatchObject(cluster, DEPLOYMENTS, namespace, 'shop-canary', {
          metadata: { labels: { [ENTITY_LABEL]: 'someone-else' } },
        });
        const before = await deployment('shop-canary');
        await expect(controller.getState(target)).resolves.toEqual({
          stable: { version: '1.0.0', ready: true },
        });
        await expect(
          controller.deployCanary(target, '1.2.0', 50),
        ).rejects.toThrow(
          `Deployment ${namespace}/shop-canary carries the label canary.backstage.io/entity=someone-else`,
        );
        await controller.removeCanary(target);
        expect(await deployment('shop-canary')).toEqual(before);
      });

      it('refuses a namespace that canary.kubernetes.allowedNamespaces does not list, before any request', async () => {
        const { namespace, target } = await setUp();
        const { settings, clusters } = await registryFor(
          moduleConfig(cluster, {}, allowing('elsewhere')),
        );
        const controller = new KubernetesWorkloadController(clusters, {
          ...settings.workload,
          conflictAttempts: settings.conflictAttempts,
        });
        const calls = [
          ...writes(controller, target),
          () => controller.getState(target),
        ];
        for (const call of calls) {
          await expect(call()).rejects.toThrow(
            `Canary releases may not act in namespace "${namespace}" of Kubernetes cluster "test": it is not listed in canary.kubernetes.allowedNamespaces.test (listed: elsewhere) (rule: canary.kubernetes.allowedNamespaces)`,
          );
        }
      });

      it('refuses kube-system, even for a Deployment that carries the mark', async () => {
        const name = `coredns-${Date.now()}`;
        await createObject(
          cluster,
          DEPLOYMENTS,
          'kube-system',
          stableDeployment(name, 'registry.k8s.io/coredns:1.11.1', 2),
        );
        try {
          const { controller, target } = await setUp();
          const system = { ...target, namespace: 'kube-system', name };
          const before = await readObject<Deployment>(
            cluster,
            DEPLOYMENTS,
            'kube-system',
            name,
          );
          for (const write of writes(controller, system)) {
            await expect(write()).rejects.toThrow(TargetRefusedError);
            await expect(write()).rejects.toThrow(
              /namespace "kube-system" .* is not listed in canary\.kubernetes\.allowedNamespaces\.test/,
            );
          }
          expect(
            (
              await readObject<Deployment>(
                cluster,
                DEPLOYMENTS,
                'kube-system',
                name,
              )
            ).metadata.resourceVersion,
          ).toBe(before.metadata.resourceVersion);
        } finally {
          await cluster.request(
            'DELETE',
            `/apis/apps/v1/namespaces/kube-system/deployments/${name}`,
          );
        }
      });
    });
  },
);
