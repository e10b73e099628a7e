import { mockServices } from '@backstage/backend-test-utils';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutRecord } from '../engine/types';
import type { RolloutStore } from '../store/RolloutStore';
import { DEFAULT_TICK_CONCURRENCY, RolloutService } from './RolloutService';

/*
 * tickAll alone: the store lists the active rollouts and `tick` is replaced by a probe that counts
 * how many ticks run at once. What one tick does is tested through the routes (plugin.test.ts).
 */

type Deps = ConstructorParameters<typeof RolloutService>[0];

function setUp(count: number, tickConcurrency?: number) {
  const rollouts = Array.from(
    { length: count },
    (_, i) => ({ id: `r-${i}` } as RolloutRecord),
  );
  const logger = mockServices.logger.mock();
  const store = { listActive: async () => rollouts } as unknown as RolloutStore;
  const service = new RolloutService({
    store,
    logger,
    tickConcurrency,
  } as Partial<Deps> as Deps);
  const ticked: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const failing = new Set<string>();
  jest.spyOn(service, 'tick').mockImplementation(async rollout => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    try {
      await sleep(5);
      if (failing.has(rollout.id)) throw new Error(`${rollout.id} broke`);
      ticked.push(rollout.id);
    } finally {
      running--;
    }
  });
  return {
    service,
    logger,
    ticked,
    failing,
    mostAtOnce: () => mostAtOnce,
    ids: rollouts.map(r => r.id),
  };
}

describe('RolloutService.tickAll', () => {
  it('ticks every active rollout, at most tickConcurrency at once', async () => {
    const { service, ticked, mostAtOnce, ids } = setUp(10, 3);
    await service.tickAll();
    expect(ticked.sort()).toEqual([...ids].sort());
    expect(mostAtOnce()).toBe(3);
  });

  it(`ticks ${DEFAULT_TICK_CONCURRENCY} at once by default`, async () => {
    const { service, ticked, mostAtOnce } = setUp(50);
    await service.tickAll();
    expect(ticked).toHaveLength(50);
    expect(mostAtOnce()).toBe(DEFAULT_TICK_CONCURRENCY);
  });

  it('starts no further tick once the signal aborts (the task timed out)', async () => {
    const { service, ticked } = setUp(10, 2);
    const controller = new AbortController();
    const probe = jest.mocked(service.tick).getMockImplementation()!;
    jest.spyOn(service, 'tick').mockImplementation(async rollout => {
      await probe(rollout);
      if (ticked.length === 4) controller.abort();
    });
    await service.tickAll(controller.signal);
    // The fourth tick aborts; the one running beside it ends, and none starts after.
    expect(ticked).toHaveLength(5);
  });

  it('logs a failing rollout and still ticks all the others', async () => {
    const { service, logger, ticked, failing, ids } = setUp(6, 2);
    failing.add('r-0');
    failing.add('r-3');
    await service.tickAll();
    expect(ticked.sort()).toEqual(ids.filter(id => !failing.has(id)).sort());
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalledWith(
      'Tick of rollout r-0 failed',
      expect.objectContaining({ message: 'r-0 broke' }),
    );
  });
});
