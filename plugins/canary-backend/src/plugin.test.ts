import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { FAST, PLAIN, SHOP, startBackend } from './__testUtils__/testBackend';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('canary routes', () => {
  it('answers /health without credentials', async () => {
    const { server } = await startBackend();
    const res = await request(server)
      .get('/api/canary/health')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('refuses unauthenticated requests with 401', async () => {
    const { server } = await startBackend();
    const none = mockCredentials.none.header();
    const list = await request(server)
      .get('/api/canary/rollouts')
      .set('Authorization', none);
    expect(list.status).toBe(401);
    const launch = await request(server)
      .post('/api/canary/rollouts')
      .set('Authorization', none)
      .send({ entityRef: SHOP, canaryVersion: '1.1.0' });
    expect(launch.status).toBe(401);
  });

  it('launches, reads and lists a rollout, and refuses a second active one', async () => {
    const { server } = await startBackend();
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', reason: 'ship it' })
      .expect(201);
    expect(launched.body).toMatchObject({
      entityRef: SHOP,
      stableVersion: '1.0.0',
      canaryVersion: '1.1.0',
      phase: 'Pending',
      createdBy: 'user:default/mock',
      reason: 'ship it',
      allowedActions: ['abort'],
      target: { name: 'shop', namespace: 'default', router: 'memory' },
    });
    expect(launched.body.strategy.stages.map((s: any) => s.weight)).toEqual([
      5, 25, 50,
    ]);

    await request(server)
      .get(`/api/canary/rollouts/${launched.body.id}`)
      .expect(200);
    const list = await request(server)
      .get(`/api/canary/rollouts?entityRef=${SHOP}`)
      .expect(200);
    expect(list.body.items.map((r: any) => r.id)).toEqual([launched.body.id]);

    const second = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.2.0' })
      .expect(409);
    expect(second.body.error.message).toContain(
      'already has an active rollout',
    );
  });

  it('pages the list newest first', async () => {
    const { server } = await startBackend();
    const ids: string[] = [];
    for (const version of ['1.1.0', '1.2.0', '1.3.0']) {
      const res = await request(server)
        .post('/api/canary/rollouts')
        .send({ entityRef: SHOP, canaryVersion: version })
        .expect(201);
      ids.push(res.body.id);
      await request(server)
        .post(`/api/canary/rollouts/${res.body.id}/actions`)
        .send({ action: 'abort', reason: 'next' })
        .expect(200);
    }
    const first = await request(server)
      .get('/api/canary/rollouts?limit=2')
      .expect(200);
    expect(first.body.items.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
    const second = await request(server)
      .get(`/api/canary/rollouts?limit=2&cursor=${first.body.nextCursor}`)
      .expect(200);
    expect(second.body.items.map((r: any) => r.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeUndefined();
    await request(server).get('/api/canary/rollouts?phase=Aborted').expect(200);
    await request(server)
      .get('/api/canary/rollouts?cursor=garbage')
      .expect(400);
  });

  describe('bad input gets a clear 4xx and changes nothing', () => {
    let server: any;
    const post = (body: unknown) =>
      request(server)
        .post('/api/canary/rollouts')
        .send(body as object);

    beforeAll(async () => {
      ({ server } = await startBackend());
    });

    const launchCases: Array<[string, unknown, number, RegExp]> = [
      [
        'an unknown field',
        { entityRef: SHOP, canaryVersion: '1', extra: 1 },
        400,
        /extra/,
      ],
      ['a missing version', { entityRef: SHOP }, 400, /canaryVersion/],
      [
        'a version with spaces',
        { entityRef: SHOP, canaryVersion: '1 0' },
        400,
        /canaryVersion/,
      ],
      [
        'a weight over 100',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: { stages: [{ weight: 101, minDuration: '1m' }] },
        },
        400,
        /weight/,
      ],
      [
        'a weight of 0',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: { stages: [{ weight: 0, minDuration: '1m' }] },
        },
        400,
        /weight/,
      ],
      [
        'non-increasing stages',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: {
            stages: [
              { weight: 50, minDuration: '1m' },
              { weight: 20, minDuration: '1m' },
            ],
          },
        },
        400,
        /must increase/,
      ],
      [
        'a negative duration',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: { stages: [{ weight: 5, minDuration: '-5m' }] },
        },
        400,
        /not a duration/,
      ],
      [
        'an absurd duration',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: { stages: [{ weight: 5, minDuration: '400d' }] },
        },
        400,
        /out of range/,
      ],
      [
        'max shorter than min',
        {
          entityRef: SHOP,
          canaryVersion: '1',
          strategy: {
            stages: [{ weight: 5, minDuration: '1h', maxDuration: '1m' }],
          },
        },
        400,
        /maxDuration/,
      ],
      [
        'a bad entity ref',
        { entityRef: 'shop', canaryVersion: '1' },
        400,
        /entity ref/,
      ],
      [
        'an unknown entity',
        { entityRef: 'component:default/nope', canaryVersion: '1' },
        404,
        /not in the catalog/,
      ],
      [
        'an entity without annotations',
        { entityRef: PLAIN, canaryVersion: '1' },
        400,
        /canary\.backstage\.io\/router/,
      ],
      ['an array body', [1, 2], 400, /Invalid launch request/],
      [
        'the stable version as the canary',
        { entityRef: SHOP, canaryVersion: '1.0.0' },
        400,
        /already the stable version/,
      ],
      [
        'a canary equal to the stable version given',
        { entityRef: SHOP, canaryVersion: '2.0.0', stableVersion: '2.0.0' },
        400,
        /already the stable version/,
      ],
    ];

    it.each(launchCases)(
      'launch with %s',
      async (_name, body, status, message) => {
        const res = await post(body).expect(status);
        expect(res.body.error.message).toMatch(message);
        const list = await request(server)
          .get('/api/canary/rollouts')
          .expect(200);
        expect(list.body.items).toEqual([]);
        const audit = await request(server)
          .get('/api/canary/audit')
          .expect(200);
        expect(audit.body.items).toEqual([]);
      },
    );

    it('malformed JSON', async () => {
      const res = await request(server)
        .post('/api/canary/rollouts')
        .set('Content-Type', 'application/json')
        .send('{"entityRef": ')
        .expect(400);
      expect(res.body.error.name).toBe('SyntaxError');
    });

    it('unknown and forbidden actions, bad ids', async () => {
      const launched = await post({
        entityRef: SHOP,
        canaryVersion: '1.1.0',
      }).expect(201);
      const id = launched.body.id;
      const act = (body: object) =>
        request(server).post(`/api/canary/rollouts/${id}/actions`).send(body);
      expect(
        (await act({ action: 'explode' }).expect(400)).body.error.message,
      ).toMatch(/action/);
      expect(
        (await act({ action: 'approve' }).expect(409)).body.error.message,
      ).toMatch(/Cannot approve a rollout that is Pending/);
      expect(
        (await act({ action: 'resume' }).expect(409)).body.error.message,
      ).toMatch(/Pending/);
      await request(server)
        .post('/api/canary/rollouts/not-a-uuid/actions')
        .send({ action: 'abort' })
        .expect(400);
      await request(server)
        .post(
          '/api/canary/rollouts/00000000-0000-4000-8000-000000000000/actions',
        )
        .send({ action: 'abort' })
        .expect(404);
      await request(server).get('/api/canary/rollouts?limit=0').expect(400);
      await request(server).get('/api/canary/rollouts?phase=Nope').expect(400);
      await request(server).get('/api/canary/audit?from=yesterday').expect(400);
      await request(server).get('/api/canary/audit?format=xml').expect(400);

      const after = await request(server)
        .get(`/api/canary/rollouts/${id}`)
        .expect(200);
      expect(after.body).toMatchObject({ phase: 'Pending', revision: 1 });
      const audit = await request(server)
        .get(`/api/canary/audit?rolloutId=${id}`)
        .expect(200);
      expect(audit.body.items.map((e: any) => e.action)).toEqual(['launch']);
      await act({ action: 'abort', reason: 'cleanup' }).expect(200);
    });
  });

  it('answers 403 when the permission policy says no, and changes nothing', async () => {
    const { server } = await startBackend({
      permissions: mockServices.permissions.factory({
        result: AuthorizeResult.DENY,
      }),
    });
    const res = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
      .expect(403);
    expect(res.body.error.message).toContain(SHOP);
    await request(server)
      .get(`/api/canary/rollouts?entityRef=${SHOP}`)
      .expect(403);
    const all = await request(server).get('/api/canary/rollouts').expect(200);
    expect(all.body.items).toEqual([]);
  });

  it('only lets owners act with an owner-only policy', async () => {
    const ownerOnly = mockServices.permissions.mock({
      authorize: async (requests, options) =>
        requests.map(r => {
          const user = (options.credentials.principal as any).userEntityRef;
          const isRead = r.permission.attributes.action === 'read';
          return {
            result:
              isRead || user === 'user:default/owner'
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        }) as any,
    });
    const { server } = await startBackend({ permissions: ownerOnly.factory });
    const owner = mockCredentials.user.header('user:default/owner');
    const stranger = mockCredentials.user.header('user:default/stranger');
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .set('Authorization', owner)
      .send({ entityRef: SHOP, canaryVersion: '1.1.0' })
      .expect(201);
    await request(server)
      .post(`/api/canary/rollouts/${launched.body.id}/actions`)
      .set('Authorization', stranger)
      .send({ action: 'abort' })
      .expect(403);
    await request(server)
      .get(`/api/canary/rollouts/${launched.body.id}`)
      .set('Authorization', stranger)
      .expect(200);
    const aborted = await request(server)
      .post(`/api/canary/rollouts/${launched.body.id}/actions`)
      .set('Authorization', owner)
      .send({ action: 'abort', reason: 'owner says so' })
      .expect(200);
    expect(aborted.body.phase).toBe('Aborted');
  });

  it('runs a healthy rollout through every stage to Succeeded', async () => {
    const { server, world, tick } = await startBackend();
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', strategy: FAST })
      .expect(201);
    const id = launched.body.id;
    let phase = 'Pending';
    for (let i = 0; i < 100 && phase !== 'Succeeded'; i++) {
      await tick();
      const body = (await request(server).get(`/api/canary/rollouts/${id}`))
        .body;
      phase = body.phase;
      await sleep(30);
    }
    expect(phase).toBe('Succeeded');
    expect(world.state).toEqual({ stable: { version: '1.1.0', ready: true } });
    expect(world.weights).toEqual({ stable: 100, canary: 0 });
    expect(world.calls).toEqual(
      expect.arrayContaining([
        'setWeights 90/10',
        'setWeights 50/50',
        'setStableVersion 1.1.0',
        'removeCanary',
      ]),
    );

    const audit = await request(server)
      .get(`/api/canary/audit?rolloutId=${id}`)
      .expect(200);
    const actions = audit.body.items.map((e: any) => e.action);
    expect(actions).toEqual([
      'launch',
      'start',
      'traffic-shifted',
      'advance',
      'traffic-shifted',
      'complete',
      'promoted',
    ]);
    // Each transition appears once, in order, with the numbers behind automatic ones.
    const advance = audit.body.items.find((e: any) => e.action === 'advance');
    expect(advance.details.verdicts.length).toBeGreaterThan(0);
    expect(advance.details.stageTotals.canary.requests).toBeGreaterThan(0);

    const analysis = await request(server)
      .get(`/api/canary/rollouts/${id}/analysis`)
      .expect(200);
    const errorRate = analysis.body.series.find(
      (s: any) => s.metric === 'error-rate' && s.arm === 'baseline',
    );
    expect(errorRate.points[0].value).toBeCloseTo(0.002);
    expect(analysis.body.verdicts.length).toBeGreaterThan(0);

    const csv = await request(server)
      .get(`/api/canary/audit?rolloutId=${id}&format=csv`)
      .expect(200)
      .expect('Content-Type', /text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'id,at,rolloutId,entityRef,actor,action,phaseBefore,phaseAfter,stageIndex,canaryWeight,reason,details',
    );
    expect(lines).toHaveLength(8);

    const verified = await request(server)
      .get(`/api/canary/audit/verify?rolloutId=${id}`)
      .expect(200);
    expect(verified.body).toMatchObject({
      ok: true,
      complete: true,
      checked: 7,
    });
    await request(server)
      .get('/api/canary/audit/verify?rolloutId=nope')
      .expect(400);

    // A finished rollout frees its target.
    await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.2.0' })
      .expect(201);
  });

  it('rolls back a failing canary on the first look that sees it', async () => {
    const { server, world, tick } = await startBackend();
    world.errorRates.canary = 0.3;
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.2.0', strategy: FAST })
      .expect(201);
    const id = launched.body.id;
    let rollout: any = launched.body;
    for (let i = 0; i < 50 && rollout.phase !== 'RolledBack'; i++) {
      await tick();
      rollout = (await request(server).get(`/api/canary/rollouts/${id}`)).body;
      await sleep(30);
    }
    expect(rollout.phase).toBe('RolledBack');
    expect(world.weights).toEqual({ stable: 100, canary: 0 });
    expect(world.state.canary).toBeUndefined();
    const audit = await request(server)
      .get(`/api/canary/audit?rolloutId=${id}`)
      .expect(200);
    const rollback = audit.body.items.find((e: any) => e.action === 'rollback');
    expect(rollback.reason).toContain('canary error-rate is 30 %');
    // 20 requests per percent at 10 % of the traffic, 30 % of them errors.
    expect(rollback.details.look.canary).toMatchObject({
      requests: 200,
      errors: 60,
    });
    const looks = (
      await request(server).get(`/api/canary/rollouts/${id}/analysis`)
    ).body.verdicts;
    expect(looks).toHaveLength(1);
  });

  it('takes strategies from presets: the request, else the entity annotation', async () => {
    const { server } = await startBackend({
      config: {
        canary: {
          defaults: { stages: [{ weight: 10, minDuration: '10m' }] },
          presets: {
            quick: { stages: [{ weight: 20, minDuration: '1m' }] },
            careful: { analysis: { interval: '5m' } },
          },
        },
      },
    });
    const quick = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', preset: 'quick' })
      .expect(201);
    expect(quick.body.strategy.stages).toEqual([
      {
        weight: 20,
        minDurationMs: 60_000,
        maxDurationMs: 120_000,
        requireApproval: false,
      },
    ]);
    await request(server)
      .post(`/api/canary/rollouts/${quick.body.id}/actions`)
      .send({ action: 'abort', reason: 'next' })
      .expect(200);

    const careful = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', preset: 'careful' })
      .expect(201);
    expect(careful.body.strategy.stages[0].weight).toBe(10);
    expect(careful.body.strategy.analysis.intervalMs).toBe(300_000);

    const strategies = await request(server)
      .get('/api/canary/strategies')
      .expect(200);
    expect(Object.keys(strategies.body.presets)).toEqual(['quick', 'careful']);
    expect(strategies.body.defaults.stages[0].weight).toBe(10);
    expect(strategies.body.presets.quick.stages[0].minDurationMs).toBe(60_000);

    const unknown = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', preset: 'nope' })
      .expect(400);
    expect(unknown.body.error.message).toContain('quick, careful');
  });
});
