import { createServiceFactory } from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import request from 'supertest';
import { FAST, SHOP, startBackend } from '../__testUtils__/testBackend';

/**
 * The signal of each stored change, on the entity's channel, that lets an open Canary tab
 * refresh at once (the signals service mocked; the frontend's side is in CanaryContent.test).
 */

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function startWithSignals(publish: jest.Mock) {
  return startBackend({
    features: [
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({ publish }),
      }),
    ],
  });
}

/** The phases in order, each once where it repeats. */
const distinct = (phases: string[]) =>
  phases.filter((phase, i) => phase !== phases[i - 1]);

describe('rollout signals', () => {
  it('signals the launch and every change after it, on the entity channel, to the end', async () => {
    const publish = jest.fn(async () => undefined);
    const { server, tick } = await startWithSignals(publish);
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', strategy: FAST })
      .expect(201);
    const id = launched.body.id;
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish).toHaveBeenCalledWith({
      recipients: { type: 'broadcast' },
      channel: 'canary:entity:component:default/shop',
      // Broadcast, so nothing in it but that something changed: no id, no phase.
      message: { changedAt: launched.body.updatedAt },
    });

    let phase = 'Pending';
    for (let i = 0; i < 100 && phase !== 'Succeeded'; i++) {
      await tick();
      phase = (await request(server).get(`/api/canary/rollouts/${id}`)).body
        .phase;
      await sleep(30);
    }
    expect(phase).toBe('Succeeded');

    const signalled = publish.mock.calls.map(
      ([signal]: any[]) => signal.message,
    );
    expect(
      signalled.every(message => Object.keys(message).join() === 'changedAt'),
    ).toBe(true);
    // One signal per stored change: as many as the distinct change times of the trail.
    const audit = (
      await request(server).get(`/api/canary/audit?rolloutId=${id}`)
    ).body.items as { at: string }[];
    expect(distinct(signalled.map(message => message.changedAt))).toEqual(
      distinct(audit.map(event => event.at)),
    );
  });

  it('a signal that cannot be sent changes nothing: the launch is stored and answered', async () => {
    const publish = jest.fn(async () => {
      throw new Error('events bus is down');
    });
    const { server } = await startWithSignals(publish);
    const launched = await request(server)
      .post('/api/canary/rollouts')
      .send({ entityRef: SHOP, canaryVersion: '1.1.0', strategy: FAST })
      .expect(201);
    expect(publish).toHaveBeenCalledTimes(1);
    await request(server)
      .get(`/api/canary/rollouts/${launched.body.id}`)
      .expect(200);
  });
});
