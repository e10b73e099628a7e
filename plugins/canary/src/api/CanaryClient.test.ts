import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ResponseError } from '@backstage/errors';
import { mockApis, registerMswTestHooks } from '@backstage/test-utils';
import { makeRollout } from '../__testUtils__/fixtures';
import { CanaryClient } from './CanaryClient';

const BASE = 'http://localhost:7007/api/canary';

describe('CanaryClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new CanaryClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://localhost:7007' }),
    fetchApi: { fetch: (...args) => fetch(...args) },
  });

  it('lists rollouts with the filters as query parameters', async () => {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/rollouts`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({ items: [makeRollout()], nextCursor: 'c2' });
      }),
    );

    const page = await client.listRollouts({
      entityRef: 'component:default/demo-service',
      limit: 20,
      cursor: undefined,
    });

    expect(page.items[0].id).toBe('r-1');
    expect(page.nextCursor).toBe('c2');
    expect(Object.fromEntries(url!.searchParams)).toEqual({
      entityRef: 'component:default/demo-service',
      limit: '20',
    });
  });

  it('gets a rollout and its analysis by id', async () => {
    server.use(
      http.get(`${BASE}/rollouts/r%2F1`, () =>
        HttpResponse.json(makeRollout()),
      ),
      http.get(`${BASE}/rollouts/r-1/analysis`, () =>
        HttpResponse.json({ rolloutId: 'r-1', series: [], verdicts: [] }),
      ),
    );

    await expect(client.getRollout('r/1')).resolves.toMatchObject({
      id: 'r-1',
    });
    await expect(client.getAnalysis('r-1')).resolves.toEqual({
      rolloutId: 'r-1',
      series: [],
      verdicts: [],
    });
  });

  it('launches a rollout with a JSON body', async () => {
    let body: unknown;
    let contentType: string | null = null;
    server.use(
      http.post(`${BASE}/rollouts`, async ({ request }) => {
        body = await request.json();
        contentType = request.headers.get('content-type');
        return HttpResponse.json(makeRollout(), { status: 201 });
      }),
    );

    const request = {
      entityRef: 'component:default/demo-service',
      canaryVersion: '1.1.0',
      reason: 'ship it',
      strategy: { stages: [{ weight: 10, minDuration: '30s' as const }] },
    };
    await client.launchRollout(request);

    expect(body).toEqual(request);
    expect(contentType).toBe('application/json');
  });

  it('posts an action with its reason', async () => {
    let body: unknown;
    server.use(
      http.post(`${BASE}/rollouts/r-1/actions`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(makeRollout({ phase: 'Paused' }));
      }),
    );

    const rollout = await client.performAction('r-1', 'abort', 'errors up');

    expect(body).toEqual({ action: 'abort', reason: 'errors up' });
    expect(rollout.phase).toBe('Paused');
  });

  it('asks the audit trail for JSON', async () => {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/audit`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({ items: [] });
      }),
    );

    await client.listAuditEvents({ rolloutId: 'r-1', limit: 200 });

    expect(Object.fromEntries(url!.searchParams)).toEqual({
      rolloutId: 'r-1',
      limit: '200',
      format: 'json',
    });
  });

  it('gets the configured strategies', async () => {
    const defaults = makeRollout().strategy;
    server.use(
      http.get(`${BASE}/strategies`, () =>
        HttpResponse.json({ defaults, presets: { demo: defaults } }),
      ),
    );

    await expect(client.getStrategies()).resolves.toEqual({
      defaults,
      presets: { demo: defaults },
    });
  });

  it('rejects with a ResponseError carrying the server message', async () => {
    server.use(
      http.post(`${BASE}/rollouts/r-1/actions`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'ConflictError',
              message: 'resume is not allowed in phase Progressing',
            },
            request: {
              method: 'POST',
              url: '/api/canary/rollouts/r-1/actions',
            },
            response: { statusCode: 409 },
          },
          { status: 409, statusText: 'Conflict' },
        ),
      ),
    );

    const error = await client.performAction('r-1', 'resume').catch(e => e);

    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.cause.name).toBe('ConflictError');
    expect(error.cause.message).toBe(
      'resume is not allowed in phase Progressing',
    );
  });
});
