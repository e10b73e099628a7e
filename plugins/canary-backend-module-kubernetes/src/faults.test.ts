import { FaultProxy } from '@canary-release/backstage-plugin-canary-node/testUtils';
import request from 'supertest';
import { Engine, startEngine } from './__testUtils__/engine';
import {
  TestCluster,
  allowing,
  moduleConfig,
  objectPath,
  registryFor,
  testServers,
} from './__testUtils__/testClusters';
import { DEPLOYMENTS, virtualServices } from './kube/resources';

/**
 * The API server failing under the engine: down (connections refused), slow (no answer within
 * the request timeout), answering 500, 429 or 409, or losing a write; the fake API server, and a
 * real kube-apiserver when configured, behind a FaultProxy. A rollback completes as soon as the
 * server answers again and is applied once; a stage is not in place until the router confirms
 * its weights; a long fault meets the progress deadline; and every fault is one `provider-fault`
 * event when it starts and one `provider-recovered` when it ends, and the rollout's message while
 * it lasts.
 */

jest.setTimeout(60_000);

const VS = virtualServices('v1');
const FINAL = ['Succeeded', 'RolledBack', 'Aborted', 'Paused', 'Failed'];
/** A stage long enough that faults, not the metrics, decide what happens in it. */
const LONG_STAGE = { stages: [{ weight: 10, minDuration: '30s' }] };

/** Each fault as `<action> <operation> <provider>`, in order. */
const faultsIn = (events: any[]) =>
  events
    .filter(e => e.action.startsWith('provider-'))
    .map(e => `${e.action} ${e.details.operation} ${e.details.provider}`);
const count = (events: any[], action: string) =>
  events.filter(e => e.action === action).length;

describe.each(testServers)(
  'provider faults on Kubernetes, against %s',
  (_, start) => {
    let cluster: TestCluster;
    let proxy: FaultProxy;
    let engine: Engine;
    let version = 0;
    const nextVersion = () => `2.0.${++version}`;

    const vsPath = () => objectPath(VS, engine.namespace, 'shop');
    const pathOf = (path: string) => path.split('?')[0];

    beforeAll(async () => {
      cluster = await start();
      proxy = await FaultProxy.start({ url: cluster.url, ca: cluster.ca });
      // Slow answers time out in 1 s, and each request is tried twice.
      engine = await startEngine(cluster, proxy, {
        requestTimeout: '1s',
        retries: { attempts: 2, initialBackoff: '5ms', maxBackoff: '20ms' },
      });
    }, 60_000);

    /** The test's rollout: ended after the test, so the next one can launch. */
    let current: string | undefined;
    async function launch(strategy: object) {
      current = await engine.launch(nextVersion(), strategy);
      return current;
    }

    afterEach(async () => {
      proxy.clear();
      await proxy.up();
      engine.metrics.canaryErrorRate = 0;
      const rollout = current && (await engine.getRollout(current));
      if (rollout?.allowedActions.includes('abort')) await abort(current!);
      if (rollout) await engine.runUntil(current!, FINAL);
    });

    afterAll(async () => {
      await engine?.stop();
      await proxy?.close();
      await cluster?.close();
    });

    /** Launches a rollout and ticks until its first stage's traffic is in place. */
    async function rolloutInFirstStage(strategy: object = LONG_STAGE) {
      const id = await launch(strategy);
      const rollout = await engine.tickUntil(id, r => !!r.stageStartedAt);
      expect(rollout.phase).toBe('Progressing');
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);
      return id;
    }

    async function ticks(n: number) {
      for (let i = 0; i < n; i++) await engine.tick();
    }

    async function abort(id: string) {
      const res = await request(engine.server)
        .post(`/api/canary/rollouts/${id}/actions`)
        .send({ action: 'abort', reason: 'test done' });
      expect(res.status).toBe(200);
      expect((await engine.runUntil(id, FINAL)).phase).toBe('Aborted');
    }

    it('honours Retry-After on 429, up to the longest backoff configured', async () => {
      const { clusters } = await registryFor(
        moduleConfig(
          cluster,
          { proxy },
          {
            retries: {
              attempts: 2,
              initialBackoff: '5ms',
              maxBackoff: '1500ms',
            },
            ...allowing(engine.namespace),
          },
        ),
      );
      const client = clusters.clientFor({
        cluster: 'test',
        namespace: engine.namespace,
        name: 'shop',
        router: 'istio',
        metrics: 'memory',
        workload: 'kubernetes',
      });
      for (const [retryAfterSeconds, waitMs] of [
        [1, 1000],
        [3600, 1500],
      ]) {
        let limited = false;
        proxy.inject(() => {
          if (limited) return undefined;
          limited = true;
          return { status: 429, retryAfterSeconds };
        });
        const from = proxy.log.length;
        await client.get(VS, engine.namespace, 'shop');
        const [refused, retried, ...more] = proxy.log.slice(from);
        expect([refused.faulted, retried.faulted, more]).toEqual([
          true,
          false,
          [],
        ]);
        expect(retried.at - refused.at).toBeGreaterThanOrEqual(waitMs - 20);
        expect(retried.at - refused.at).toBeLessThan(waitMs + 1000);
      }
    });

    it('re-reads and retries a write answered 409 Conflict: the stage gets in place, with no fault', async () => {
      let conflicts = 1;
      proxy.inject(({ method, path }) =>
        method === 'PATCH' && pathOf(path) === vsPath() && conflicts-- > 0
          ? { status: 409 }
          : undefined,
      );
      const from = proxy.log.length;
      const id = await rolloutInFirstStage();
      const onRoute = proxy.log
        .slice(from)
        .filter(r => pathOf(r.path) === vsPath())
        .map(r => `${r.method}${r.faulted ? ' 409' : ''}`);
      const conflict = onRoute.indexOf('PATCH 409');
      expect(onRoute.slice(conflict, conflict + 3)).toEqual([
        'PATCH 409',
        'GET',
        'PATCH',
      ]);
      expect(faultsIn(await engine.audit(id))).toEqual([]);
      await abort(id);
    });

    it('does not start a stage whose weights the router cannot confirm (a write that never lands), and says so', async () => {
      proxy.inject(({ method, path }) =>
        method === 'PATCH' && pathOf(path) === vsPath()
          ? { swallow: true }
          : undefined,
      );
      const id = await launch(LONG_STAGE);
      const failing = await engine.tickUntil(id, r => !!r.faults);
      await ticks(3);
      const stuck = await engine.getRollout(id);
      expect(stuck).toMatchObject({ phase: 'Progressing', stageIndex: 0 });
      expect(stuck.stageStartedAt).toBeUndefined();
      expect(stuck.message).toBe(failing.message);
      expect(stuck.message).toMatch(
        /^Changing the traffic router \(istio\) has failed since \S+$/,
      );
      // The API server's own words are in the fault, for those who may control the rollout.
      expect(stuck.faults[0].error).toMatch(
        /^setWeights failed: The weights of VirtualService \S+\/shop in Kubernetes cluster "test" did not verify after the write: wanted 90\/10 \(stable\/canary\), read back 100\/0/,
      );
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);

      proxy.clear();
      const inPlace = await engine.tickUntil(id, r => !!r.stageStartedAt);
      expect(inPlace.faults).toBeUndefined();
      const actions = (await engine.audit(id)).map(e => e.action);
      expect(actions).toEqual([
        'launch',
        'start',
        'provider-fault',
        'provider-recovered',
        'traffic-shifted',
      ]);
      await abort(id);
    });

    it('with the API server down, a rollback waits and completes once it answers again, applied once', async () => {
      const id = await rolloutInFirstStage();
      await proxy.down();
      await ticks(3);
      const blind = await engine.getRollout(id);
      expect(blind.phase).toBe('Progressing');
      expect(blind.message).toMatch(
        /^Reading the traffic router \(istio\) has failed since \S+; Reading the workload \(kubernetes\) has failed since \S+$/,
      );
      expect(blind.faults.map((f: { error: string }) => f.error)).toEqual([
        expect.stringMatching(
          /^Kubernetes cluster "test" did not answer the get of VirtualService \S+\/shop: .*ECONNREFUSED/,
        ),
        expect.stringMatching(
          /^Kubernetes cluster "test" did not answer the get of Deployment \S+\/shop(-canary|-baseline)?: .*ECONNREFUSED/,
        ),
      ]);

      // The canary regresses: the look (metrics are not on that server) rolls back, blind.
      engine.metrics.canaryErrorRate = 0.2;
      expect(
        (await engine.tickUntil(id, r => r.phase !== 'Progressing')).phase,
      ).toBe('RollingBack');
      await ticks(3);
      expect((await engine.getRollout(id)).phase).toBe('RollingBack');
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);

      await proxy.up();
      const rollout = await engine.runUntil(id, FINAL);
      expect(rollout.phase).toBe('RolledBack');
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      expect((await engine.deployment('shop-canary')).spec.replicas).toBe(0);
      const events = await engine.audit(id);
      expect(count(events, 'rollback')).toBe(1);
      expect(count(events, 'rolled-back')).toBe(1);
      expect(faultsIn(events)).toEqual([
        'provider-fault read router',
        'provider-fault read workload',
        'provider-recovered read router',
        'provider-recovered read workload',
      ]);
      const recovered = events.find(e => e.action === 'provider-recovered');
      expect(recovered.reason).toMatch(
        /^Reading the traffic router \(istio\) works again after [\d.]+s$/,
      );
    });

    it('through timeouts, 500, 429 and 409 in turn, a rollback is retried every tick and applied once; each fault is recorded once', async () => {
      const id = await rolloutInFirstStage();
      proxy.inject(() => ({ hang: true }));
      engine.metrics.canaryErrorRate = 0.2;
      expect(
        (await engine.tickUntil(id, r => r.phase !== 'Progressing')).phase,
      ).toBe('RollingBack');
      expect((await engine.getRollout(id)).faults).toEqual([
        expect.objectContaining({
          provider: 'router',
          error: expect.stringMatching(/no answer within 1000 ms/),
        }),
        expect.objectContaining({ provider: 'workload' }),
      ]);
      proxy.inject(() => ({ status: 500 }));
      await ticks(2);
      proxy.inject(() => ({ status: 429, retryAfterSeconds: 1 }));
      await ticks(2);
      // Reads work again; every write of the route conflicts.
      proxy.inject(({ method }) =>
        method === 'PATCH' ? { status: 409 } : undefined,
      );
      const conflicting = await engine.tickUntil(
        id,
        r => r.faults?.[0]?.operation === 'write',
      );
      await ticks(2);
      expect(conflicting).toMatchObject({ phase: 'RollingBack' });
      expect(conflicting.message).toMatch(
        /^Changing the traffic router \(istio\) has failed since \S+$/,
      );
      expect(conflicting.faults[0].error).toMatch(
        /^setWeights failed: VirtualService \S+\/shop in Kubernetes cluster "test" kept changing while the canary engine wrote it \(409 Conflict\)/,
      );
      expect(await engine.weightsInVirtualService()).toEqual([90, 10]);

      proxy.clear();
      const rollout = await engine.runUntil(id, FINAL);
      expect(rollout.phase).toBe('RolledBack');
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      const events = await engine.audit(id);
      expect(count(events, 'rollback')).toBe(1);
      expect(count(events, 'rolled-back')).toBe(1);
      expect(faultsIn(events)).toEqual([
        'provider-fault read router',
        'provider-fault read workload',
        'provider-recovered read router',
        'provider-recovered read workload',
        'provider-fault write router',
        'provider-recovered write router',
      ]);
    });

    it('an outage past the progress deadline rolls the stage back, and the rollback completes once the server answers', async () => {
      const id = await launch({
        ...LONG_STAGE,
        progressDeadline: '1s',
      });
      await proxy.down();
      const rollingBack = await engine.tickUntil(
        id,
        r => r.phase !== 'Progressing' && r.phase !== 'Pending',
      );
      expect(rollingBack.phase).toBe('RollingBack');
      expect(rollingBack.message).toBe(
        'Stage 1 was not in place within the progress deadline (1s): still waiting for the router and workload to answer',
      );
      await ticks(3);
      expect((await engine.getRollout(id)).phase).toBe('RollingBack');

      await proxy.up();
      expect((await engine.runUntil(id, FINAL)).phase).toBe('RolledBack');
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
      const events = await engine.audit(id);
      expect(count(events, 'rollback')).toBe(1);
      expect(count(events, 'rolled-back')).toBe(1);
      expect(faultsIn(events)).toEqual([
        'provider-fault read router',
        'provider-fault read workload',
        'provider-recovered read router',
        'provider-recovered read workload',
      ]);
    });

    it('a promotion whose stable Deployment cannot be updated fails at the progress deadline, naming the fault', async () => {
      const stable = objectPath(DEPLOYMENTS, engine.namespace, 'shop');
      proxy.inject(({ method, path }) =>
        method === 'PATCH' && pathOf(path) === stable
          ? { status: 500 }
          : undefined,
      );
      const id = await launch({
        stages: [{ weight: 10, minDuration: '500ms' }],
        progressDeadline: '2s',
      });
      const failed = await engine.runUntil(id, FINAL);
      expect(failed.phase).toBe('Failed');
      expect(failed.message).toBe(
        `The promotion did not complete within the progress deadline (2s): still waiting for stable to run ${failed.canaryVersion}`,
      );
      expect(failed.faults).toBeUndefined();
      const events = await engine.audit(id);
      expect(count(events, 'fail')).toBe(1);
      expect(faultsIn(events)).toEqual(['provider-fault write workload']);
      const fault = events.find(e => e.action === 'provider-fault');
      expect(fault.reason).toBe('Changing the workload (kubernetes) fails');
      expect(fault.details.error).toMatch(
        /^setStableVersion failed: Kubernetes cluster "test" answered 500 to the patch of Deployment \S+\/shop: injected 500/,
      );
      expect(
        (await engine.deployment('shop')).spec.template.spec.containers[0]
          .image,
      ).toBe('registry.example/shop:1.0.0');

      proxy.clear();
      await abort(id);
      expect(await engine.weightsInVirtualService()).toEqual([100, 0]);
    });
  },
);
