import { makeRollout, makeStrategies } from '../../__testUtils__/fixtures';
import { formatApproxDuration, observedTraffic, planStages } from './plan';

describe('observedTraffic', () => {
  it("takes the newest rollout's stage totals over the time the stage ran", () => {
    // 9,000 + 3,000 requests from the stage's start (10 min ago) to the last look (30 s ago).
    const traffic = observedTraffic([makeRollout()])!;
    expect(traffic.requestsPerSecond).toBeCloseTo(12000 / 570, 0);
    expect(traffic.baselineErrorRate).toBeCloseTo(0.001, 6);
    expect(traffic.baselineRequests).toBe(9000);
  });

  it('skips rollouts that measured nothing and scales a dedicated baseline up', () => {
    const pending = makeRollout({
      id: 'r-2',
      stageIndex: -1,
      phase: 'Pending',
    });
    const dedicated = makeRollout();
    dedicated.strategy = { ...dedicated.strategy, dedicatedBaseline: true };

    const traffic = observedTraffic([pending, dedicated])!;

    expect(traffic.rollout).toBe(dedicated);
    // 3,000 canary requests at 25 % of the traffic.
    expect(traffic.requestsPerSecond).toBeCloseTo(12000 / 570, 0);
    expect(observedTraffic([pending])).toBeUndefined();
  });
});

describe('planStages', () => {
  const { defaults, presets } = makeStrategies();

  it('plans each stage: promotion waits for the minimum duration, decisions fall on looks', () => {
    const estimates = planStages(defaults.stages, defaults, {
      requestsPerSecond: 21,
      baselineErrorRate: 0.001,
    });
    // The 0.5-point margin is shown well before each stage's minimum duration (30m, 1h, 2h);
    // a 1-point regression is caught sooner with more traffic on the canary.
    expect(estimates).toEqual([
      {
        promoteSeconds: 1800,
        detectSeconds: 1860,
        regression: 0.01,
        fits: true,
      },
      {
        promoteSeconds: 3600,
        detectSeconds: 420,
        regression: 0.01,
        fits: true,
      },
      {
        promoteSeconds: 7200,
        detectSeconds: 240,
        regression: 0.01,
        fits: true,
      },
    ]);
  });

  it('says when a stage cannot decide before its maximum', () => {
    const estimates = planStages(presets.demo.stages, presets.demo, {
      requestsPerSecond: 1,
      baselineErrorRate: 0.001,
    });
    // At 1 request/s the first stage's canary needs 1,000 s for its 50 requests alone.
    expect(estimates[0]).toMatchObject({ promoteSeconds: 1000, fits: false });
    expect(estimates.every(e => 'fits' in e && !e.fits)).toBe(true);
    const fast = planStages(presets.demo.stages, presets.demo, {
      requestsPerSecond: 100,
      baselineErrorRate: 0.001,
    });
    expect(fast.every(e => 'fits' in e && e.fits)).toBe(true);
  });

  it('says why it cannot plan', () => {
    const noErrorRate = {
      ...defaults,
      analysis: { ...defaults.analysis, metrics: [] },
    };
    expect(
      planStages(defaults.stages, noErrorRate, {
        requestsPerSecond: 10,
        baselineErrorRate: 0.01,
      }),
    ).toEqual(
      defaults.stages.map(() => ({
        unavailable: 'The strategy has no error-rate metric to plan with.',
      })),
    );
    const [all] = planStages(
      [{ ...defaults.stages[0], weight: 100 }],
      defaults,
      { requestsPerSecond: 10, baselineErrorRate: 0.01 },
    );
    expect(all).toEqual({
      unavailable: 'All traffic goes to the canary: nothing to compare with.',
    });
  });

  it('formats rough durations', () => {
    expect(formatApproxDuration(39.2)).toBe('~40 s');
    expect(formatApproxDuration(240)).toBe('~4 min');
    expect(formatApproxDuration(9000)).toBe('~2.5 h');
  });
});
