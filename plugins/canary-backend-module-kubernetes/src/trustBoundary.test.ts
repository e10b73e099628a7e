import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import request from 'supertest';
import { startEngine } from './__testUtils__/engine';
import {
  TestCluster,
  createObject,
  markRolledOut,
  mergePatchObject,
  readObject,
  stableDeployment,
  testServers,
} from './__testUtils__/testClusters';
import { DEPLOYMENTS, virtualServices } from './kube/resources';
import { ENTITY_LABEL } from './ownership';

/**
 * Who may release what: the canary backend with this module (see `__testUtils__/engine`) refuses
 * a launch whose entity points outside `canary.kubernetes.allowedNamespaces` with a 403, and a
 * rollout whose objects lose their ownership mark fails at its next change, without writing it.
 */

const VS = virtualServices('v1');

describe.each(testServers)('the trust boundary, against %s', (_, start) => {
  let cluster: TestCluster;
  let proxy: FaultProxy;

  beforeAll(async () => {
    cluster = await start();
    proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await cluster?.close();
  });

  /** A launch through the HTTP API, as a user would send it. */
  const launch = (server: any) =>
    request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: 'component:default/shop', canaryVersion: '1.1.0' });

  it('refuses with a 403 a launch in a namespace allowedNamespaces does not list, before any request to the cluster', async () => {
    const engine = await startEngine(cluster, proxy, {
      allowedNamespaces: { test: ['payments'] },
    });
    try {
      const before = await engine.deployment('shop');
      const seen = proxy.log.length;
      const res = await launch(engine.server);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        name: 'NotAllowedError',
        message: `Canary releases may not act in namespace "${engine.namespace}" of Kubernetes cluster "test": it is not listed in canary.kubernetes.allowedNamespaces.test (listed: payments) (rule: canary.kubernetes.allowedNamespaces)`,
      });
      expect(proxy.log.slice(seen)).toEqual([]);
      const list = await request(engine.server).get('/api/canary/rollouts');
      expect(list.body.items).toEqual([]);
      expect(await engine.deployment('shop')).toEqual(before);
    } finally {
      await engine.stop();
    }
  }, 60_000);

  it('refuses with a 403 a launch on a Deployment in kube-system, even one marked as the entity’s', async () => {
    const engine = await startEngine(
      cluster,
      proxy,
      {},
      { entityNamespace: 'kube-system' },
    );
    const name = 'shop';
    const path = `/apis/apps/v1/namespaces/kube-system/deployments/${name}`;
    await cluster.request('DELETE', path); // left over by an interrupted run
    await createObject(
      cluster,
      DEPLOYMENTS,
      'kube-system',
      stableDeployment(name, 'registry.k8s.io/coredns:1.11.1', 2),
    );
    try {
      const before = await readObject(
        cluster,
        DEPLOYMENTS,
        'kube-system',
        name,
      );
      const res = await launch(engine.server);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(
        /^Canary releases may not act in namespace "kube-system" of Kubernetes cluster "test": it is not listed in canary\.kubernetes\.allowedNamespaces\.test .*\(rule: canary\.kubernetes\.allowedNamespaces\)$/,
      );
      expect(
        await readObject(cluster, DEPLOYMENTS, 'kube-system', name),
      ).toEqual(before);
    } finally {
      await engine.stop();
      await cluster.request('DELETE', path);
    }
  }, 60_000);

  it('refuses with a 403 a launch on an unmarked stable Deployment or routing object, naming the label to add', async () => {
    const engine = await startEngine(cluster, proxy);
    try {
      await mergePatchObject(cluster, DEPLOYMENTS, engine.namespace, 'shop', {
        metadata: { labels: { [ENTITY_LABEL]: null } },
      });
      let res = await launch(engine.server);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(
        new RegExp(
          `^Deployment ${engine.namespace}/shop lacks the label canary\\.backstage\\.io/entity=[0-9a-f]{40} that marks it as component:default/shop's; add it to allow canary releases: kubectl label -n ${engine.namespace} deployments\\.apps/shop canary\\.backstage\\.io/entity=[0-9a-f]{40} \\(rule: ownership mark\\)$`,
        ),
      );

      const mark = (await engine.virtualService()).metadata.labels[
        ENTITY_LABEL
      ];
      await mergePatchObject(cluster, DEPLOYMENTS, engine.namespace, 'shop', {
        metadata: { labels: { [ENTITY_LABEL]: mark } },
      });
      await mergePatchObject(cluster, VS, engine.namespace, 'shop', {
        metadata: { labels: { [ENTITY_LABEL]: 'another-entity' } },
      });
      res = await launch(engine.server);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain(
        `VirtualService ${engine.namespace}/shop carries the label canary.backstage.io/entity=another-entity, which marks it as another entity's, not component:default/shop's`,
      );
      const list = await request(engine.server).get('/api/canary/rollouts');
      expect(list.body.items).toEqual([]);
    } finally {
      await engine.stop();
    }
  }, 60_000);

  it('fails a rollout whose stable Deployment loses its mark, at its next change, writing nothing more', async () => {
    const engine = await startEngine(cluster, proxy);
    try {
      const id = await engine.launch('1.1.0');
      const inPlace = await engine.tickUntil(id, r => !!r.stageStartedAt);
      expect(inPlace.phase).toBe('Progressing');
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);

      await mergePatchObject(cluster, DEPLOYMENTS, engine.namespace, 'shop', {
        metadata: { labels: { [ENTITY_LABEL]: null } },
      });
      await markRolledOut(cluster, engine.namespace, 'shop-canary');
      const stable = await engine.deployment('shop');
      const canary = await engine.deployment('shop-canary');
      const virtualService = await engine.virtualService();

      const failed = await engine.runUntil(id, [
        'Failed',
        'Succeeded',
        'RolledBack',
      ]);
      expect(failed.phase).toBe('Failed');
      expect(failed.message).toMatch(
        new RegExp(
          `^Changing the workload \\(kubernetes\\) was refused: Deployment ${engine.namespace}/shop lacks the label canary\\.backstage\\.io/entity=[0-9a-f]{40} .*\\(rule: ownership mark\\)\\. The engine changes nothing more; the traffic stays where it is$`,
        ),
      );
      const audit = await engine.audit(id);
      expect(audit.map(e => e.action)).not.toContain('provider-fault');
      expect(audit[audit.length - 1]).toMatchObject({
        action: 'fail',
        actor: 'engine',
        phaseAfter: 'Failed',
        details: { refusal: { provider: 'workload', action: 'deployCanary' } },
      });

      // More ticks change nothing: the rollout is over, the objects are as they were.
      for (let i = 0; i < 3; i++) await engine.tick();
      expect(await engine.deployment('shop')).toEqual(stable);
      expect(await engine.deployment('shop-canary')).toEqual(canary);
      expect(await engine.virtualService()).toEqual(virtualService);
    } finally {
      await engine.stop();
    }
  }, 60_000);
});
