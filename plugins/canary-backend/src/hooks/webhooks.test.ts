import type { Webhook } from '@canary-release/backstage-plugin-canary-common';
import { makeRollout } from '../engine/testRollout';
import { resolveStrategy, strategyInputSchema } from '../strategy/strategy';
import { HookServer } from './__testUtils__/HookServer';
import {
  callWebhook,
  checkLaunchWebhooks,
  isAllowedWebhookUrl,
  publicStrategy,
  redactUrl,
  webhookPayload,
} from './webhooks';

/** Webhook calls against a real HTTP server on loopback: status codes, retries, timeouts. */

let server: HookServer;
beforeAll(async () => {
  server = await HookServer.start();
});
afterAll(() => server.stop());

const rollout = makeRollout({ revision: 4 });

function hook(path: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    name: path.slice(1),
    type: 'post-rollout',
    url: `${server.url}${path}`,
    timeoutMs: 1000,
    retries: 2,
    ...overrides,
  };
}

async function call(h: Webhook) {
  return callWebhook(h, webhookPayload(rollout, h, 'because'), 'key-1');
}

describe('callWebhook', () => {
  it('POSTs the rollout as JSON with an idempotency key, once on a 2xx', async () => {
    const h = hook('/ok', { metadata: { channel: '#deploys' } });
    const outcome = await call(h);
    expect(outcome).toMatchObject({
      name: 'ok',
      ok: true,
      status: 200,
      attempts: 1,
    });
    const [received] = server.callsTo('/ok');
    expect(received.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'key-1',
    });
    expect(received.body).toEqual({
      rolloutId: rollout.id,
      entityRef: 'component:default/demo-shop',
      phase: 'Pending',
      stageIndex: -1,
      canaryVersion: '1.1.0',
      stableVersion: '1.0.0',
      weights: { stable: 100, canary: 0 },
      verdicts: [],
      reason: 'because',
      hook: { name: 'ok', type: 'post-rollout' },
      metadata: { channel: '#deploys' },
    });
  });

  it('retries a 5xx and succeeds on the next 2xx, with the same key', async () => {
    server.script('/flaky', [503], 204);
    const outcome = await call(hook('/flaky'));
    expect(outcome).toMatchObject({ ok: true, status: 204, attempts: 2 });
    const keys = server
      .callsTo('/flaky')
      .map(c => c.headers['idempotency-key']);
    expect(keys).toEqual(['key-1', 'key-1']);
  });

  it('fails after its retries when the receiver keeps failing', async () => {
    server.script('/down', [], 500);
    const outcome = await call(hook('/down', { retries: 2 }));
    expect(outcome).toMatchObject({
      ok: false,
      status: 500,
      error: 'HTTP 500',
      attempts: 3,
    });
    expect(server.callsTo('/down')).toHaveLength(3);
    // Backoff between the attempts: 0.5 s, then 1 s.
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1500);
  });

  it('times out a receiver that does not answer, retries, then fails', async () => {
    server.script('/slow', [], 'hang');
    const outcome = await call(hook('/slow', { timeoutMs: 200, retries: 1 }));
    expect(outcome).toMatchObject({
      ok: false,
      error: 'timed out after 200 ms',
      attempts: 2,
    });
    expect(outcome.status).toBeUndefined();
    expect(server.callsTo('/slow')).toHaveLength(2);
  });

  it('takes a late 2xx after a timeout on the retry', async () => {
    server.script('/late', [{ status: 200, delayMs: 500 }], 200);
    const outcome = await call(hook('/late', { timeoutMs: 200, retries: 1 }));
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
  });

  it('does not retry a 4xx: the receiver said no', async () => {
    server.script('/no', [], 403);
    const outcome = await call(hook('/no'));
    expect(outcome).toMatchObject({ ok: false, status: 403, attempts: 1 });
  });

  it('retries 429 and 408, which ask to come back', async () => {
    server.script('/busy', [429, 408], 200);
    const outcome = await call(hook('/busy'));
    expect(outcome).toMatchObject({ ok: true, attempts: 3 });
  });

  it('does not follow redirects', async () => {
    server.script('/moving', [], 302);
    const outcome = await call(hook('/moving'));
    expect(outcome).toMatchObject({ ok: false, status: 302, attempts: 1 });
    expect(server.callsTo('/moved')).toEqual([]);
  });

  it('retries a refused connection and says so', async () => {
    const closed = await HookServer.start();
    const url = `${closed.url}/gone`;
    await closed.stop();
    const outcome = await callWebhook(
      { ...hook('/gone'), url, retries: 1 },
      webhookPayload(rollout, hook('/gone'), 'because'),
      'key-2',
    );
    expect(outcome).toMatchObject({ ok: false, attempts: 2 });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});

describe('the guard on webhooks of launch requests', () => {
  const prefixes = ['https://hooks.example.com/ci/', 'http://10.0.0.5:8080'];

  it.each([
    ['https://hooks.example.com/ci/deploy', true],
    ['https://hooks.example.com/ci/', true],
    ['https://hooks.example.com/other', false],
    ['https://hooks.example.com/ci/../admin', false],
    ['https://hooks.example.com.evil.test/ci/x', false],
    ['http://hooks.example.com/ci/x', false],
    ['https://hooks.example.com:8443/ci/x', false],
    ['http://10.0.0.5:8080/anything', true],
    ['http://10.0.0.5:8081/anything', false],
  ])('%s allowed: %s', (url, allowed) => {
    expect(isAllowedWebhookUrl(url, prefixes)).toBe(allowed);
  });

  const base = resolveStrategy(
    makeRollout().strategy,
    strategyInputSchema.parse({
      webhooks: [
        {
          name: 'gate',
          type: 'confirm-promotion',
          url: 'http://127.0.0.1:1/internal',
        },
      ],
    }),
  );
  const launch = (webhooks: object[]) =>
    strategyInputSchema.parse({ webhooks });

  it('lets configured webhooks and launches without webhooks through', () => {
    expect(() => checkLaunchWebhooks(undefined, base, [])).not.toThrow();
    expect(() => checkLaunchWebhooks(launch([]), base, [])).not.toThrow();
  });

  it('refuses every launch webhook when no prefix is configured', () => {
    expect(() =>
      checkLaunchWebhooks(
        launch([
          {
            name: 'mine',
            type: 'post-rollout',
            url: 'https://hooks.example.com/ci/x',
          },
        ]),
        base,
        [],
      ),
    ).toThrow(/accepts no webhooks in launch requests/);
  });

  it('refuses URLs outside the prefixes and replacing a configured webhook', () => {
    expect(() =>
      checkLaunchWebhooks(
        launch([
          { name: 'gate', type: 'confirm-promotion', url: prefixes[0] },
          {
            name: 'meta',
            type: 'post-rollout',
            url: 'http://169.254.169.254/latest',
          },
        ]),
        base,
        prefixes,
      ),
    ).toThrow(
      'strategy.webhooks.0.name: "gate" is a configured webhook; a launch request cannot replace it; strategy.webhooks.1.url: must start with one of',
    );
    expect(() =>
      checkLaunchWebhooks(
        launch([{ name: 'mine', type: 'rollback', url: `${prefixes[0]}x` }]),
        base,
        prefixes,
      ),
    ).not.toThrow();
  });
});

describe('webhook URLs are not shown to readers', () => {
  it('redacts paths and queries, which may hold secrets', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe(
      'https://hooks.slack.com/…',
    );
    expect(redactUrl('http://10.0.0.5:8080/?token=x')).toBe(
      'http://10.0.0.5:8080/…',
    );
    expect(redactUrl('http://10.0.0.5:8080/')).toBe('http://10.0.0.5:8080');
  });

  it('redacts every webhook of a strategy, and nothing else', () => {
    const strategy = resolveStrategy(
      makeRollout().strategy,
      strategyInputSchema.parse({
        webhooks: [
          { name: 'a', type: 'rollback', url: 'https://x.test/secret' },
        ],
      }),
    );
    expect(publicStrategy(strategy)).toEqual({
      ...strategy,
      webhooks: [{ ...strategy.webhooks![0], url: 'https://x.test/…' }],
    });
  });
});
