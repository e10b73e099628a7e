import {
  createSeededRandom,
  distributionSize,
  quantileBounds,
  quantileConfidenceBand,
  StatisticsInputError,
  timeUniformBandWidth,
} from '.';

describe('quantile bounds', () => {
  it('reads the order statistics at p -/+ epsilon from samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    const r = quantileBounds({ samples }, [0.5, 0.95], 0.1);
    expect(r.quantiles[0]).toEqual({
      p: 0.5,
      estimate: 50.5,
      lower: 40,
      upper: 60,
    });
    expect(r.quantiles[1].lower).toBe(85);
    expect(r.quantiles[1].upper).toBe(Infinity);
    expect(samples[0]).toBe(100); // input untouched
  });

  it('uses bucket edges for histograms, so bounds always contain the true quantile', () => {
    const random = createSeededRandom(9);
    const bounds = [0.05, 0.1, 0.2, 0.4, 0.8];
    const values = Array.from({ length: 2000 }, () =>
      Math.exp(Math.log(0.1) + 0.6 * (random() * 2 - 1)),
    );
    const counts = new Array(bounds.length + 1).fill(0);
    for (const v of values) {
      const bucket = bounds.findIndex(b => v <= b);
      counts[bucket === -1 ? bounds.length : bucket]++;
    }
    const fromSamples = quantileBounds(
      { samples: values },
      [0.5, 0.9],
      0.02,
    ).quantiles;
    const fromHistogram = quantileBounds(
      { histogram: { bounds, counts } },
      [0.5, 0.9],
      0.02,
    ).quantiles;
    fromHistogram.forEach((q, i) => {
      expect(bounds.concat([0, Infinity])).toContain(q.lower);
      expect(bounds.concat([Infinity])).toContain(q.upper);
      expect(q.lower).toBeLessThanOrEqual(fromSamples[i].lower);
      expect(q.upper).toBeGreaterThanOrEqual(fromSamples[i].upper);
    });
  });

  it('handles one observation and constant samples', () => {
    expect(quantileBounds({ samples: [3] }, [0.5], 0.1).quantiles[0]).toEqual({
      p: 0.5,
      estimate: 3,
      lower: 3,
      upper: 3,
    });
    const constant = quantileBounds(
      { samples: new Array(1000).fill(0.2) },
      [0.5],
      0.05,
    ).quantiles[0];
    expect([constant.lower, constant.estimate, constant.upper]).toEqual([
      0.2, 0.2, 0.2,
    ]);
  });

  it('covers the true median at every one of 30 looks (seeded)', () => {
    const random = createSeededRandom(31);
    const runs = 200;
    let misses = 0;
    for (let r = 0; r < runs; r++) {
      const samples: number[] = [];
      let missed = false;
      for (let look = 0; look < 30; look++) {
        for (let i = 0; i < 50; i++) samples.push(random()); // uniform: true median 0.5
        const q = quantileConfidenceBand({ samples }, [0.5], { alpha: 0.05 })
          .quantiles[0];
        if (q.lower > 0.5 || q.upper < 0.5) missed = true;
      }
      if (missed) misses++;
    }
    expect(misses / runs).toBeLessThan(0.05);
  });

  it('rejects negative, NaN and empty data and broken histograms', () => {
    expect(() => quantileBounds({ samples: [1, -2] }, [0.5], 0.1)).toThrow(
      'samples[1] must be a finite number >= 0, got -2',
    );
    expect(() => quantileBounds({ samples: [1, NaN] }, [0.5], 0.1)).toThrow(
      StatisticsInputError,
    );
    expect(() =>
      quantileConfidenceBand({ samples: [] }, [0.5], { alpha: 0.05 }),
    ).toThrow('at least one observation');
    expect(() =>
      distributionSize({ histogram: { bounds: [1, 2], counts: [1, 2] } }),
    ).toThrow('one more count than bounds');
    expect(() =>
      distributionSize({ histogram: { bounds: [2, 1], counts: [1, 2, 3] } }),
    ).toThrow('increase strictly');
    expect(() =>
      quantileBounds(
        { histogram: { bounds: [1], counts: [0, 0] } },
        [0.5],
        0.1,
      ),
    ).toThrow('at least one observation');
    expect(() => timeUniformBandWidth(0, 0.05)).toThrow('t must be > 0');
  });
});
