import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { canaryRolloutOverridePermission } from '@canary-release/backstage-plugin-canary-common';
import { Knex } from 'knex';
import request from 'supertest';
import {
  createTestDatabases,
  SHOP,
  startBackend,
} from '../__testUtils__/testBackend';

/**
 * `canary.policy` through the routes, on SQLite and PostgreSQL: every floor refuses a launch that
 * breaks it with a 403 naming the rule and stores nothing; a strategy override needs
 * `canary.rollout.override` and a field the policy lists, a preset only the launch permission; the
 * launcher of a rollout cannot pass its approval gates when `approverMustDiffer` says so; and the
 * backend does not start with strategies that break its own policy.
 */

const { databases, hasRequiredDatabases } = createTestDatabases();

it('runs the policy tests on PostgreSQL where the test script provides it', () => {
  expect(hasRequiredDatabases()).toBe(true);
});

const ALICE = mockCredentials.user.header('user:default/alice');
const BOB = mockCredentials.user.header('user:default/bob');
/** May launch and control, but not override a strategy. */
const CAROL = mockCredentials.user.header('user:default/carol');

/** Everything allowed, except overriding a strategy for Carol. */
function permissionsWithoutOverrideForCarol() {
  return mockServices.permissions.mock({
    authorize: (async (requests, { credentials }) =>
      requests.map(r => ({
        result:
          r.permission.name === canaryRolloutOverridePermission.name &&
          (credentials.principal as { userEntityRef?: string })
            .userEntityRef === 'user:default/carol'
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      }))) as PermissionsService['authorize'],
  }).factory;
}

const POLICY = {
  minStages: 3,
  minStageDuration: '5m',
  maxFirstStageWeight: 10,
  requireApprovalFrom: 50,
  metrics: [
    { name: 'error-rate', kind: 'proportion', maxMargin: 0.01, maxRate: 0.1 },
    { name: 'latency', kind: 'distribution', maxMargin: 0.1, max: 2 },
  ],
  overridable: ['stages', 'analysis.metrics'],
};

/** Stages that meet POLICY. */
const STAGES = [
  { weight: 10, minDuration: '5m' },
  { weight: 25, minDuration: '5m' },
  { weight: 50, minDuration: '5m', requireApproval: true },
];
const ERROR_RATE = {
  name: 'error-rate',
  kind: 'proportion',
  margin: 0.005,
  maxRate: 0.1,
  critical: true,
};
const LATENCY = {
  name: 'latency',
  kind: 'distribution',
  margin: 0.1,
  max: 2,
  critical: true,
};

const CONFIG = {
  canary: {
    defaults: { stages: STAGES }, // the built-in metrics meet POLICY
    presets: {
      careful: {
        stages: [
          { weight: 5, minDuration: '10m' },
          { weight: 20, minDuration: '10m' },
          { weight: 50, minDuration: '10m', requireApproval: true },
          { weight: 75, minDuration: '10m' },
        ],
      },
    },
    policy: POLICY,
  },
};

/** The launch of the issue: one stage straight to 100 %, no metrics. */
const UNSAFE = {
  stages: [{ weight: 100, minDuration: '100ms' }],
  analysis: { metrics: [] },
};

/** Every row a launch or an action writes, to show a refusal wrote none. */
async function snapshot(knex: Knex) {
  const tables = ['canary_rollouts', 'canary_audit_events', 'canary_outbox'];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async t => [t, await knex(t).orderBy('id')] as const),
    ),
  );
}

/** Ticks until the rollout is in `phase` (the memory world answers at once). */
async function untilPhase(
  server: any,
  tick: () => Promise<void>,
  id: string,
  phase: string,
) {
  let current;
  for (let i = 0; i < 100; i++) {
    current = (await request(server).get(`/api/canary/rollouts/${id}`)).body;
    if (current.phase === phase) return current;
    await tick();
    await new Promise(resolve => setTimeout(resolve, 30));
  }
  throw new Error(`rollout ${id} is ${current.phase}, not ${phase}`);
}

describe.each(databases.eachSupportedId())(
  'canary.policy on %p',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let backend: Awaited<ReturnType<typeof startBackend>>;

    const launch = (auth: string, body: object) =>
      request(backend.server)
        .post('/api/canary/rollouts')
        .set('Authorization', auth)
        .send({ entityRef: SHOP, canaryVersion: '1.1.0', ...body });
    const act = (auth: string, id: string, action: string) =>
      request(backend.server)
        .post(`/api/canary/rollouts/${id}/actions`)
        .set('Authorization', auth)
        .send({ action });
    const providerWrites = () =>
      backend.world.calls.filter(c => !/^(get|sample)/.test(c));

    /** The message of a launch refused with 403, once it is shown to have changed nothing. */
    async function refusedLaunch(auth: string, body: object) {
      const before = await snapshot(knex);
      const writes = providerWrites();
      const refused = await launch(auth, body).expect(403);
      expect(refused.body.error.name).toBe('NotAllowedError');
      expect(await snapshot(knex)).toEqual(before);
      expect(providerWrites()).toEqual(writes);
      return refused.body.error.message;
    }

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      backend = await startBackend({
        knex,
        config: CONFIG,
        permissions: permissionsWithoutOverrideForCarol(),
      });
    });

    it.each([
      [
        'stages shorter than the minimum',
        {
          stages: [{ ...STAGES[0], minDuration: '100ms' }, ...STAGES.slice(1)],
        },
        "refused by canary.policy.minStageDuration: stage 1 lasts 100ms, the platform's minimum is 5m",
      ],
      [
        'fewer stages than the minimum',
        { stages: [STAGES[0], STAGES[2]] },
        "refused by canary.policy.minStages: the strategy has 2 stages below 100 %, the platform's minimum is 3",
      ],
      [
        'a first stage heavier than the maximum',
        { stages: [{ ...STAGES[0], weight: 20 }, ...STAGES.slice(1)] },
        "refused by canary.policy.maxFirstStageWeight: stage 1 sends 20 % of traffic to the canary, the platform's maximum for the first stage is 10 %",
      ],
      [
        'no approval before 50 %',
        {
          stages: [...STAGES.slice(0, 2), { weight: 50, minDuration: '5m' }],
        },
        'refused by canary.policy.requireApprovalFrom: stage 3 (50 %) has no approval gate; the platform wants an approval before the canary gets 50 % or more',
      ],
      [
        'no stage at 50 % or more, so no approval before 100 %',
        {
          stages: [
            STAGES[0],
            STAGES[1],
            { weight: 40, minDuration: '5m', requireApproval: true },
          ],
        },
        'refused by canary.policy.requireApprovalFrom: after stage 3 (40 %) the rollout goes to 100 % without an approval; the platform wants an approval before the canary gets 50 % or more: add a stage of at least 50 % with requireApproval',
      ],
      [
        'a required metric left out',
        { analysis: { metrics: [ERROR_RATE] } },
        'refused by canary.policy.metrics[latency]: the strategy does not judge latency; the platform requires it',
      ],
      [
        'a required metric that is not critical',
        {
          analysis: { metrics: [{ ...ERROR_RATE, critical: false }, LATENCY] },
        },
        'refused by canary.policy.metrics[error-rate]: error-rate is not critical (a regression would only pause); the platform requires it critical',
      ],
      [
        'a required metric turned around',
        {
          analysis: {
            metrics: [
              { ...ERROR_RATE, direction: 'higher-is-better' },
              LATENCY,
            ],
          },
        },
        'refused by canary.policy.metrics[error-rate]: error-rate is judged higher-is-better; the platform requires lower-is-better',
      ],
      [
        'a required metric of another kind',
        {
          analysis: {
            metrics: [
              ERROR_RATE,
              { name: 'latency', kind: 'gauge', max: 2, critical: true },
            ],
          },
        },
        'refused by canary.policy.metrics[latency]: latency is judged as a gauge; the platform requires a distribution',
      ],
      [
        'a margin above the maximum',
        { analysis: { metrics: [{ ...ERROR_RATE, margin: 0.05 }, LATENCY] } },
        "refused by canary.policy.metrics[error-rate].maxMargin: error-rate's margin is 0.05, the platform's maximum is 0.01",
      ],
      [
        'a ceiling above the maximum',
        { analysis: { metrics: [{ ...ERROR_RATE, maxRate: 0.5 }, LATENCY] } },
        "refused by canary.policy.metrics[error-rate].maxRate: error-rate's maxRate is 0.5, the platform's maximum is 0.1",
      ],
      [
        'no ceiling where the platform sets a maximum',
        {
          analysis: {
            metrics: [ERROR_RATE, { ...LATENCY, max: undefined }],
          },
        },
        "refused by canary.policy.metrics[latency].max: latency has no max; the platform's maximum is 2",
      ],
    ])(
      'refuses %s with the rule, storing nothing',
      async (_, strategy, message) => {
        expect(await refusedLaunch(ALICE, { strategy })).toBe(message);
      },
    );

    it("refuses the issue's unsafe launch, naming every rule it breaks", async () => {
      expect(await refusedLaunch(ALICE, { strategy: UNSAFE })).toBe(
        [
          "refused by canary.policy.minStages: the strategy has 0 stages below 100 %, the platform's minimum is 3",
          "refused by canary.policy.minStageDuration: stage 1 lasts 100ms, the platform's minimum is 5m",
          "refused by canary.policy.maxFirstStageWeight: stage 1 sends 100 % of traffic to the canary, the platform's maximum for the first stage is 10 %",
          'refused by canary.policy.requireApprovalFrom: stage 1 starts at 100 %, before anyone can approve; the platform wants an approval before the canary gets 50 % or more',
          'refused by canary.policy.metrics[error-rate]: the strategy does not judge error-rate; the platform requires it',
          'refused by canary.policy.metrics[latency]: the strategy does not judge latency; the platform requires it',
        ].join('; '),
      );
    });

    it('refuses fields the policy does not let a launch override', async () => {
      expect(
        await refusedLaunch(ALICE, {
          strategy: { stages: STAGES, analysis: { alpha: 0.4 } },
        }),
      ).toBe(
        'refused by canary.policy.overridable: a launch may not override analysis.alpha (overridable: stages, analysis.metrics); choose a configured preset instead',
      );
    });

    it('refuses any override without canary.rollout.override', async () => {
      // Even one that meets every floor.
      expect(await refusedLaunch(CAROL, { strategy: { stages: STAGES } })).toBe(
        `You are not allowed to override the strategy of rollouts of ${SHOP} (permission canary.rollout.override; this request sets stages); a configured preset needs only canary.rollout.launch`,
      );
    });

    it('launches a preset or the defaults with the launch permission alone', async () => {
      const preset = await launch(CAROL, { preset: 'careful' }).expect(201);
      expect(preset.body.strategy.stages.map((s: any) => s.weight)).toEqual([
        5, 20, 50, 75,
      ]);
      await act(CAROL, preset.body.id, 'abort').expect(200);
      const defaults = await launch(CAROL, {}).expect(201);
      expect(defaults.body.strategy.stages.map((s: any) => s.weight)).toEqual([
        10, 25, 50,
      ]);
      await act(CAROL, defaults.body.id, 'abort').expect(200);
    });

    it('accepts an override of listed fields that meets every floor', async () => {
      const launched = await launch(ALICE, {
        strategy: {
          stages: [
            { weight: 1, minDuration: '1h' },
            { weight: 10, minDuration: '1h' },
            { weight: 60, minDuration: '1h', requireApproval: true },
          ],
          analysis: { metrics: [LATENCY, { ...ERROR_RATE, margin: 0.01 }] },
        },
      }).expect(201);
      expect(launched.body.strategy.stages).toEqual([
        expect.objectContaining({ weight: 1, minDurationMs: 3_600_000 }),
        expect.objectContaining({ weight: 10, requireApproval: false }),
        expect.objectContaining({ weight: 60, requireApproval: true }),
      ]);
      await act(ALICE, launched.body.id, 'abort').expect(200);
    });
  },
);

describe.each(databases.eachSupportedId())(
  'canary.policy.approverMustDiffer on %p',
  (databaseId: TestDatabaseId) => {
    /** Two 100-ms stages; an approval before the second. */
    const GATED = {
      stages: [
        { weight: 10, minDuration: '100ms' },
        { weight: 50, minDuration: '100ms', requireApproval: true },
      ],
      analysis: {
        interval: '100ms',
        minRequestsPerLook: 1,
        minRequestsPerStage: 1,
        metrics: [
          {
            name: 'error-rate',
            kind: 'proportion',
            margin: 0.05,
            critical: true,
          },
        ],
      },
    };

    async function start(policy: object) {
      const knex = await databases.init(databaseId);
      const backend = await startBackend({
        knex,
        config: { canary: { presets: { gated: GATED }, policy } },
      });
      const act = (auth: string, id: string, action: string) =>
        request(backend.server)
          .post(`/api/canary/rollouts/${id}/actions`)
          .set('Authorization', auth)
          .send({ action });
      const { id } = (
        await request(backend.server)
          .post('/api/canary/rollouts')
          .set('Authorization', ALICE)
          .send({ entityRef: SHOP, canaryVersion: '1.1.0', preset: 'gated' })
          .expect(201)
      ).body;
      return { ...backend, knex, act, id };
    }

    it('keeps the launcher from passing a gate; someone else approves it', async () => {
      const { server, tick, knex, act, id } = await start({
        approverMustDiffer: true,
      });
      const refusal = (action: string) =>
        `refused by canary.policy.approverMustDiffer: ${action} would pass the approval gate before stage 2 (50 %), and user:default/alice launched this rollout; someone else must approve it`;

      // In stage 1, promoting would skip the gate; other actions are the launcher's to take.
      const progressing = await untilPhase(server, tick, id, 'Progressing');
      expect(progressing.stageIndex).toBe(0);
      const before = await snapshot(knex);
      for (const action of ['promote', 'promote-full']) {
        const refused = await act(ALICE, id, action).expect(403);
        expect(refused.body.error.message).toBe(refusal(action));
      }
      expect(await snapshot(knex)).toEqual(before);
      await act(ALICE, id, 'pause').expect(200);
      await act(ALICE, id, 'resume').expect(200);

      await untilPhase(server, tick, id, 'AwaitingApproval');
      const waiting = await snapshot(knex);
      for (const action of ['approve', 'promote', 'promote-full']) {
        const refused = await act(ALICE, id, action).expect(403);
        expect(refused.body.error.message).toBe(refusal(action));
      }
      expect(await snapshot(knex)).toEqual(waiting);

      const approved = await act(BOB, id, 'approve').expect(200);
      expect(approved.body).toMatchObject({
        phase: 'Progressing',
        stageIndex: 1,
      });
    });

    it('lets the launcher approve without it', async () => {
      const { server, tick, act, id } = await start({});
      await untilPhase(server, tick, id, 'AwaitingApproval');
      const approved = await act(ALICE, id, 'approve').expect(200);
      expect(approved.body).toMatchObject({
        phase: 'Progressing',
        stageIndex: 1,
      });
    });
  },
);

describe('canary.policy at startup', () => {
  it('refuses to start with a preset that breaks the policy, naming the preset and the rule', async () => {
    await expect(
      startBackend({
        config: {
          canary: {
            presets: {
              quick: { stages: [{ weight: 10, minDuration: '30s' }] },
            },
            policy: { minStageDuration: '5m' },
          },
        },
      }),
    ).rejects.toThrow(
      "The configured strategies do not meet canary.policy: canary.presets.quick breaks canary.policy.minStageDuration: stage 1 lasts 30s, the platform's minimum is 5m",
    );
  });

  it('refuses to start when the defaults break the policy', async () => {
    // The built-in defaults: 5 %, 25 %, 50 %, no approval gate.
    await expect(
      startBackend({
        config: { canary: { policy: { requireApprovalFrom: 25 } } },
      }),
    ).rejects.toThrow(
      'canary.defaults breaks canary.policy.requireApprovalFrom: stage 2 (25 %) has no approval gate',
    );
  });

  it('refuses to start with a policy that is not one', async () => {
    await expect(
      startBackend({
        config: {
          canary: {
            policy: {
              overridable: ['analysis.thresholds'],
              metrics: [
                { name: 'latency', kind: 'distribution', maxRate: 0.1 },
              ],
            },
          },
        },
      }),
    ).rejects.toThrow(
      /Invalid canary\.policy in app-config: metrics\.0\.maxRate: applies to proportion metrics, not to a distribution; overridable\.0: /,
    );
  });

  it('registers canary.rollout.override as a resource permission on catalog entities', async () => {
    const { server } = await startBackend();
    const metadata = await request(server)
      .get('/api/canary/.well-known/backstage/permissions/metadata')
      .expect(200);
    expect(metadata.body.permissions).toContainEqual({
      type: 'resource',
      name: 'canary.rollout.override',
      attributes: { action: 'create' },
      resourceType: 'catalog-entity',
    });
  });
});
