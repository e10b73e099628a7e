import { planStage, StatisticsInputError } from '..';

describe('planStage', () => {
  const base = {
    requestsPerSecond: 200,
    canaryWeight: 5,
    baselineRate: 0.01,
    margin: 0.002,
  };

  it('plans the time to promote a healthy canary and to catch twice the margin', () => {
    const plan = planStage(base);
    expect(plan.canaryRequestsPerSecond).toBe(10);
    expect(plan.baselineRequestsPerSecond).toBe(190);
    expect(plan.promote.seconds).toBeGreaterThan(1000);
    expect(plan.promote.seconds).toBeLessThan(20000);
    expect(plan.detect.regression).toBe(0.004);
    expect(plan.detect.seconds).toBeLessThan(plan.promote.seconds);
    expect(plan.promote.canaryRequests).toBe(
      Math.ceil(plan.promote.seconds * 10),
    );
  });

  it('scales inversely with traffic and grows for a same-size baseline', () => {
    const twice = planStage({ ...base, requestsPerSecond: 400 });
    expect(twice.promote.seconds / planStage(base).promote.seconds).toBeCloseTo(
      0.5,
      2,
    );
    const sameSize = planStage({ ...base, baselineWeight: 5 });
    expect(sameSize.promote.seconds).toBeGreaterThan(
      planStage(base).promote.seconds,
    );
  });

  it('takes longer for a tighter margin, a higher power and rarer events', () => {
    const reference = planStage(base).promote.seconds;
    expect(
      planStage({ ...base, margin: 0.001 }).promote.seconds,
    ).toBeGreaterThan(3 * reference);
    expect(planStage({ ...base, power: 0.95 }).promote.seconds).toBeGreaterThan(
      reference,
    );
    expect(
      planStage({ ...base, baselineRate: 0.001, margin: 0.0002 }).promote
        .seconds,
    ).toBeGreaterThan(reference);
  });

  it('plans drops for higher-is-better rates', () => {
    const plan = planStage({
      ...base,
      baselineRate: 0.1,
      margin: 0.01,
      direction: 'higher-is-better',
    });
    expect(plan.detect.seconds).toBeGreaterThan(0);
  });

  it('rejects impossible inputs', () => {
    expect(() => planStage({ ...base, canaryWeight: 0 })).toThrow(
      StatisticsInputError,
    );
    expect(() => planStage({ ...base, canaryWeight: 120 })).toThrow(
      'canaryWeight is a percentage, at most 100',
    );
    expect(() => planStage({ ...base, baselineRate: 0 })).toThrow(
      'baselineRate',
    );
    expect(() => planStage({ ...base, margin: NaN })).toThrow('margin');
    expect(() =>
      planStage({ ...base, regression: 0.001, rollbackMargin: 0.002 }),
    ).toThrow('rollback margin');
    expect(() =>
      planStage({ ...base, baselineRate: 0.999, margin: 0.002 }),
    ).toThrow('range of rates');
  });
});
