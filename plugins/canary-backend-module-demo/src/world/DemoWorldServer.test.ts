import { ResponseError } from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import { ConfigReader } from '@backstage/config';
import { readDemoConfig } from '../config';
import { DemoEnvironment } from '../DemoEnvironment';
import { sleep, waitFor } from '../__testUtils__/http';
import { DemoWorldServer } from './DemoWorldServer';
import { RemoteDemoWorld } from './RemoteDemoWorld';

/**
 * The world API and its client against a real demo world on loopback: what the client does through
 * the server must happen in the world, and what the server refuses must reach the client as the
 * error it is.
 */

function target(namespace: string, name: string): RolloutTarget {
  return { namespace, name, router: 'demo', metrics: 'demo', workload: 'demo' };
}

describe('DemoWorldServer and RemoteDemoWorld', () => {
  let environment: DemoEnvironment;
  let server: DemoWorldServer;
  let remote: RemoteDemoWorld;
  const shop = target('team-a', 'shop');

  beforeAll(async () => {
    const config = readDemoConfig(
      new ConfigReader({
        canary: {
          demo: {
            requestsPerSecond: 300,
            startupDelayMs: 50,
            workloads: [
              { name: 'shop', namespace: 'team-a' },
              { name: 'cart' },
            ],
          },
        },
      }),
    )!;
    environment = await DemoEnvironment.start(config);
    server = await DemoWorldServer.start(environment);
    remote = new RemoteDemoWorld(`${server.url}/`);
  });

  afterAll(async () => {
    await server?.close();
    await environment?.close();
  });

  it('acts on the world it serves, and reads it back', async () => {
    const world = environment.get(shop);
    expect(await remote.getState(shop)).toEqual({
      stable: { version: '1.0.0', ready: true },
    });

    await remote.deployCanary(shop, '1.1.0');
    expect(world.getState().canary).toEqual({ version: '1.1.0', ready: false });
    await waitFor(
      async () => (await remote.getState(shop)).canary?.ready === true,
    );

    await remote.setWeights(shop, { stable: 50, canary: 50 });
    expect(world.getWeights()).toEqual({ stable: 50, canary: 50 });
    expect(await remote.getWeights(shop)).toEqual({ stable: 50, canary: 50 });

    const window = { start: new Date(), end: new Date(Date.now() + 1000) };
    await sleep(1100);
    const [baseline, canary] = await Promise.all([
      remote.sample(shop, 'baseline', window),
      remote.sample(shop, 'canary', window),
    ]);
    // About 150 requests per arm; the same counts the world itself reports.
    expect(canary.requests).toBeGreaterThan(60);
    expect(canary).toEqual(world.sample('canary', window));
    expect(baseline).toEqual(world.sample('baseline', window));

    await remote.setWeights(shop, { stable: 100, canary: 0 });
    await remote.removeCanary(shop);
    await remote.setStableVersion(shop, '1.1.0');
    expect(world.getState()).toEqual({
      stable: { version: '1.1.0', ready: false },
    });
    await waitFor(async () => (await remote.getState(shop)).stable.ready);
  });

  it('lists every workload with its weights and versions', async () => {
    const response = await fetch(`${server.url}/workloads`);
    expect(response.status).toBe(200);
    const { items } = await response.json();
    expect(items).toEqual([
      {
        namespace: 'team-a',
        name: 'shop',
        url: environment.get(shop).url,
        weights: { stable: 100, canary: 0 },
        state: { stable: { version: '1.1.0', ready: true } },
      },
      {
        namespace: 'default',
        name: 'cart',
        url: environment.get(target('default', 'cart')).url,
        weights: { stable: 100, canary: 0 },
        state: { stable: { version: '1.0.0', ready: true } },
      },
    ]);
  });

  it('refuses invalid input with 400 and the reason, leaving the world as it was', async () => {
    const cart = target('default', 'cart');
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => {
          throw new Error('expected a refusal');
        },
        (error: ResponseError) => ({
          status: error.response.status,
          message: error.body.error.message,
        }),
      );
    expect(
      await refusal(remote.setWeights(cart, { stable: 60, canary: 60 })),
    ).toEqual({ status: 400, message: expect.stringMatching(/add up to 100/) });
    expect(await refusal(remote.deployCanary(cart, ' '))).toEqual({
      status: 400,
      message: expect.stringMatching(/Invalid version/),
    });
    expect(
      await refusal(
        remote.sample(cart, 'canary', {
          start: new Date(2000),
          end: new Date(1000),
        }),
      ),
    ).toEqual({ status: 400, message: expect.stringMatching(/start <= end/) });
    expect(await refusal(remote.getState(target('default', 'nope')))).toEqual({
      status: 404,
      message: expect.stringMatching(/No demo workload default\/nope/),
    });
    expect(environment.get(cart).getWeights()).toEqual({
      stable: 100,
      canary: 0,
    });
    expect(environment.get(cart).getState().canary).toBeUndefined();

    const raw = async (method: string, path: string, body?: string) => {
      const response = await fetch(`${server.url}${path}`, { method, body });
      return { status: response.status, body: await response.json() };
    };
    expect(await raw('PUT', '/workloads/default/cart/weights', '{')).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: expect.objectContaining({ name: 'InputError' }),
      }),
    });
    expect(
      (await raw('PUT', '/workloads/default/cart/canary', '"1.1.0"')).status,
    ).toBe(400);
    expect(
      (await raw('PUT', '/workloads/default/cart/weights', 'x'.repeat(20_000)))
        .status,
    ).toBe(400);
    expect((await raw('GET', '/workloads/default/cart/samples/x')).status).toBe(
      404,
    );
    expect((await raw('POST', '/workloads')).status).toBe(404);
    expect((await raw('GET', '/other')).status).toBe(404);
    expect((await raw('GET', '/workloads/%E0%A4%A/cart')).status).toBe(400);
  });
});
