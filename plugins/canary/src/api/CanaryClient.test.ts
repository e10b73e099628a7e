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

  /** Answers GETs of `path` with the JSON `body`; gives the query of the last one. */
  function answerGet(path: string, body: unknown) {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}${path}`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json(body as object);
      }),
    );
    return () => Object.fromEntries(url!.searchParams);
  }

  it('lists rollouts with the filters as query parameters', async () => {
    const query = answerGet('/rollouts', {
      items: [makeRollout()],
      nextCursor: 'c2',
    });

    const page = await client.listRollouts({
      entityRef: 'component:default/demo-service',
      limit: 20,
      cursor: undefined,
    });

    expect(page.items[0].id).toBe('r-1');
    expect(page.nextCursor).toBe('c2');
    expect(query()).toEqual({
      entityRef: 'component:default/demo-service',
      limit: '20',
    });
  });

  it('sends every filter, the sort and the phases as a comma list', async () => {
    const query = answerGet('/rollouts', { items: [] });

    await client.listRollouts({
      phase: ['Progressing', 'AwaitingApproval'],
      owner: 'group:default/team-a',
      system: 'system:default/shop',
      createdAfter: '2026-01-01T00:00:00.000Z',
      createdBefore: '2026-02-01T00:00:00.000Z',
      sort: 'updatedAt',
      order: 'asc',
      limit: 50,
      cursor: 'c1',
    });

    expect(query()).toEqual({
      phase: 'Progressing,AwaitingApproval',
      owner: 'group:default/team-a',
      system: 'system:default/shop',
      createdAfter: '2026-01-01T00:00:00.000Z',
      createdBefore: '2026-02-01T00:00:00.000Z',
      sort: 'updatedAt',
      order: 'asc',
      limit: '50',
      cursor: 'c1',
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
    const query = answerGet('/audit', { items: [] });

    await client.listAuditEvents({ rolloutId: 'r-1', limit: 200 });

    expect(query()).toEqual({
      rolloutId: 'r-1',
      limit: '200',
      format: 'json',
    });
  });

  it('asks the audit trail for a page after the cursor, with every filter', async () => {
    const query = answerGet('/audit', { items: [], nextCursor: 'a3' });

    const page = await client.listAuditEvents({
      entityRef: 'component:default/demo-shop',
      actor: 'user:default/alice',
      action: 'approve',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      limit: 25,
      cursor: 'a2',
    });

    expect(page.nextCursor).toBe('a3');
    expect(query()).toEqual({
      entityRef: 'component:default/demo-shop',
      actor: 'user:default/alice',
      action: 'approve',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      limit: '25',
      cursor: 'a2',
      format: 'json',
    });
  });

  it('downloads the export with the filters and the name the server gives', async () => {
    let url: URL | undefined;
    let authorization: string | null = null;
    server.use(
      http.get(`${BASE}/audit/export`, ({ request }) => {
        url = new URL(request.url);
        authorization = request.headers.get('authorization');
        return new HttpResponse('id,at,action\n1,2026-01-01,approve\n', {
          headers: {
            'Content-Type': 'text/csv',
            'Content-Disposition': 'attachment; filename="canary-audit.csv"',
          },
        });
      }),
    );
    const authenticated = new CanaryClient({
      discoveryApi: mockApis.discovery({ baseUrl: 'http://localhost:7007' }),
      fetchApi: {
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: { ...init?.headers, Authorization: 'Bearer t0ken' },
          }),
      },
    });

    const file = await authenticated.exportAuditEvents('csv', {
      action: 'approve',
      actor: 'user:default/alice',
    });

    expect(Object.fromEntries(url!.searchParams)).toEqual({
      action: 'approve',
      actor: 'user:default/alice',
      format: 'csv',
    });
    expect(authorization).toBe('Bearer t0ken');
    expect(file.filename).toBe('canary-audit.csv');
    expect(await file.blob.text()).toBe('id,at,action\n1,2026-01-01,approve\n');
  });

  it('names a JSON export itself when the server gives no name, and rejects errors', async () => {
    server.use(
      http.get(`${BASE}/audit/export`, ({ request }) =>
        new URL(request.url).searchParams.get('actor')
          ? HttpResponse.json(
              { error: { name: 'NotAllowedError', message: 'no' } },
              { status: 403 },
            )
          : HttpResponse.json([]),
      ),
    );

    const file = await client.exportAuditEvents('json');
    expect(file.filename).toBe('canary-audit.json');
    expect(await file.blob.text()).toBe('[]');

    const error = await client
      .exportAuditEvents('json', { actor: 'user:default/bob' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(403);
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
