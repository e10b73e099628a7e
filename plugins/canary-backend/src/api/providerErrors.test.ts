import type { PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type {
  ArmSample,
  RolloutTarget,
} from '@canary-release/backstage-plugin-canary-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { FAST, SHOP, startBackend } from '../__testUtils__/testBackend';
import { MemoryWorld } from '../testing/memoryProviders';

/**
 * A provider's own error text (here a metrics store's address and query) reaches only those who
 * may control the rollout: a reader sees that the metrics fail, since when, and which looks had
 * none, through every route that shows rollouts (the rollout, the list, its analysis, the audit
 * trail and its export).
 */

const SECRET =
  'query sum(rate(http_requests_total{job="shop"}[1m])) failed: cannot reach http://prometheus.internal.example:9090';

const OPERATOR = mockCredentials.user.header('user:default/operator');
const READER = mockCredentials.user.header('user:default/reader');

/** Everyone may read; only the operator may launch, override and control. */
const readersCannotControl = mockServices.permissions.mock({
  authorize: (async (requests, { credentials }) =>
    requests.map(r => ({
      result:
        r.permission.name === 'canary.rollout.read' ||
        (credentials.principal as { userEntityRef?: string }).userEntityRef ===
          'user:default/operator'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    }))) as PermissionsService['authorize'],
});

class MetricsDownWorld extends MemoryWorld {
  async sample(
    _target: RolloutTarget,
    _arm: 'baseline' | 'canary',
  ): Promise<ArmSample> {
    throw new Error(SECRET);
  }
}

describe("providers' error texts", () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let id: string;

  beforeAll(async () => {
    backend = await startBackend({
      world: new MetricsDownWorld(),
      permissions: readersCannotControl.factory,
    });
    const launched = await request(backend.server)
      .post('/api/canary/rollouts')
      .set('authorization', OPERATOR)
      .send({
        entityRef: SHOP,
        canaryVersion: '1.1.0',
        strategy: {
          ...FAST,
          stages: [{ weight: 10, minDuration: '10s' }],
          analysis: { ...FAST.analysis, noDataAction: 'pause' },
        },
      })
      .expect(201);
    id = launched.body.id;
    for (let i = 0; i < 60; i++) {
      await backend.tick();
      const rollout = await request(backend.server)
        .get(`/api/canary/rollouts/${id}`)
        .set('authorization', OPERATOR);
      if (rollout.body.phase === 'Paused') break;
      await new Promise(resolve => setTimeout(resolve, 30));
    }
  });

  const get = (path: string, who: string) =>
    request(backend.server).get(`/api/canary${path}`).set('authorization', who);

  /** Every response a reader of the rollout may ask for, as text. */
  async function everythingSeenBy(who: string) {
    const responses = await Promise.all([
      get(`/rollouts/${id}`, who),
      get('/rollouts', who),
      get(`/rollouts/${id}/analysis`, who),
      get(`/audit?rolloutId=${id}`, who),
      get('/audit', who),
      get('/audit/export?format=json', who),
      get('/audit/export', who),
    ]);
    for (const res of responses) expect(res.status).toBe(200);
    return responses.map(res => res.text).join('\n');
  }

  it('paused the rollout on missing metrics, as the no-data policy says', async () => {
    const rollout = await get(`/rollouts/${id}`, READER).expect(200);
    expect(rollout.body.phase).toBe('Paused');
    expect(rollout.body.message).toBe(
      'No usable metrics for 3 looks in a row (limit 3; no metrics: the metrics provider (memory) failed): pausing for a decision',
    );
    expect(rollout.body.faults).toEqual([
      {
        provider: 'metrics',
        operation: 'read',
        kind: 'memory',
        since: expect.any(String),
      },
    ]);
  });

  it('shows the error text to the operator, who may control the rollout', async () => {
    const seen = await everythingSeenBy(OPERATOR);
    expect(seen).toContain('prometheus.internal.example');
    const rollout = await get(`/rollouts/${id}`, OPERATOR).expect(200);
    expect(rollout.body.faults[0].error).toBe(SECRET);
    const analysis = await get(`/rollouts/${id}/analysis`, OPERATOR);
    expect(analysis.body.verdicts[0].verdicts[0]).toMatchObject({
      verdict: 'error',
      explanation:
        'No metrics for this look: the metrics provider (memory) failed',
      detail: SECRET,
    });
  });

  it('shows a reader everything but the error text', async () => {
    const seen = await everythingSeenBy(READER);
    expect(seen).not.toContain('prometheus.internal.example');
    expect(seen).not.toContain('http_requests_total');
    // What the reader does see: the fault, the looks without metrics, the pause.
    expect(seen).toContain('"action":"provider-fault"');
    expect(seen).toContain(
      'No metrics for this look: the metrics provider (memory) failed',
    );
    expect(seen).toContain('pausing for a decision');
  });
});
