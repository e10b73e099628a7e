import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import { Engine, startEngine } from './__testUtils__/engine';
import { TestCluster, testServers } from './__testUtils__/testClusters';

/**
 * The canary engine driving a cluster through this module (see `__testUtils__/engine`): the API
 * server (the fake, and a real kube-apiserver when configured) sits behind a FaultProxy.
 */

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe.each(testServers)(
  'the engine on Kubernetes, against %s',
  (_, start) => {
    let cluster: TestCluster;
    let proxy: FaultProxy;
    let engine: Engine;

    beforeAll(async () => {
      cluster = await start();
      proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
      engine = await startEngine(cluster, proxy);
    }, 60_000);

    afterEach(() => proxy.clear());

    afterAll(async () => {
      await engine?.stop();
      await proxy?.close();
      await cluster?.close();
    });

    it('promotes a healthy canary: stable runs the new image, all traffic on stable, the canary scaled to zero', async () => {
      engine.metrics.canaryErrorRate = 0;
      const id = await engine.launch('1.1.0');
      expect((await engine.getRollout(id)).stableVersion).toBe('1.0.0');
      const rollout = await engine.runUntil(id, [
        'Succeeded',
        'RolledBack',
        'Paused',
        'Failed',
      ]);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^Succeeded/);
      expect(
        (await engine.deployment('shop')).spec.template.spec.containers[0]
          .image,
      ).toBe('registry.example/shop:1.1.0');
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      expect(
        (await engine.virtualService()).spec.http.map((r: any) => r.name),
      ).toEqual(['primary']);
      expect((await engine.deployment('shop-canary')).spec.replicas).toBe(0);
      const audit = await engine.audit(id);
      expect(audit.map((e: any) => e.action)).toEqual([
        'launch',
        'start',
        'traffic-shifted',
        'advance',
        'traffic-shifted',
        'complete',
        'promoted',
      ]);
    }, 60_000);

    it('rolls back a faulty canary to 100/0, leaving stable on its version', async () => {
      engine.metrics.canaryErrorRate = 0.2;
      const id = await engine.launch('1.2.0');
      const rollout = await engine.runUntil(id, [
        'Succeeded',
        'RolledBack',
        'Paused',
        'Failed',
      ]);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      expect(
        (await engine.deployment('shop')).spec.template.spec.containers[0]
          .image,
      ).toBe('registry.example/shop:1.1.0');
      expect((await engine.deployment('shop-canary')).spec.replicas).toBe(0);
    }, 60_000);

    it('retries the rollback while the API server answers 409, 429 and 500, and completes it once the server answers', async () => {
      engine.metrics.canaryErrorRate = 0;
      const id = await engine.launch('1.3.0');
      // Healthy until the first stage's traffic is in place.
      let inPlace = await engine.getRollout(id);
      for (let i = 0; i < 200 && !inPlace.stageStartedAt; i++) {
        await engine.rollOut();
        await engine.tick();
        inPlace = await engine.getRollout(id);
      }
      expect(inPlace.phase).toBe('Progressing');
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);

      // The canary fails, and the API server misbehaves: every write conflicts, reads get 429 or 500.
      engine.metrics.canaryErrorRate = 0.2;
      let reads = 0;
      proxy.inject(({ method }) => {
        if (method === 'PATCH') return { status: 409 };
        reads += 1;
        return reads % 2
          ? { status: 429, retryAfterSeconds: 1 }
          : { status: 500 };
      });
      for (let i = 0; i < 8; i++) {
        await engine.tick();
        await sleep(50);
      }
      const stuck = await engine.getRollout(id);
      expect(stuck.phase).toBe('RollingBack');
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);
      expect(proxy.injected).toBeGreaterThan(8);

      proxy.clear();
      const rollout = await engine.runUntil(id, ['RolledBack']);
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      expect((await engine.deployment('shop-canary')).spec.replicas).toBe(0);
      expect(
        (await engine.deployment('shop')).spec.template.spec.containers[0]
          .image,
      ).toBe('registry.example/shop:1.1.0');
    }, 60_000);

    it('rolls back a canary that never becomes ready, at the progress deadline, saying so', async () => {
      engine.metrics.canaryErrorRate = 0;
      const id = await engine.launch('1.4.0', { progressDeadline: '1s' });
      // The canary's pods never get ready: only stable is rolled out.
      const rollout = await engine.runUntil(
        id,
        ['RolledBack', 'Succeeded', 'Paused', 'Failed'],
        ['shop'],
      );
      expect(`${rollout.phase}: ${rollout.message}`).toMatch(/^RolledBack/);
      const audit = await engine.audit(id);
      expect(audit.find((e: any) => e.action === 'rollback').reason).toBe(
        'Stage 1 was not in place within the progress deadline (1s): still waiting for canary 1.4.0 to become ready',
      );
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      expect((await engine.deployment('shop-canary')).spec.replicas).toBe(0);
    }, 60_000);
  },
);
