import {
  analyze,
  AnalysisInputError,
  AnalysisRequest,
  ANALYSIS_LIMITS,
  parseAnalysisRequest,
} from '.';

/** The request of DESIGN.md ("The stateless judge"). */
const designExample = {
  alpha: 0.05,
  metrics: [
    {
      name: 'error-rate',
      kind: 'proportion',
      direction: 'lower-is-better',
      margin: 0.002,
      critical: true,
      looks: [
        {
          baseline: { count: 97, total: 10000 },
          canary: { count: 6, total: 520 },
        },
      ],
    },
    {
      name: 'latency',
      kind: 'distribution',
      direction: 'lower-is-better',
      margin: 0.05,
      looks: [
        {
          baseline: { samples: [0.12, 0.09] },
          canary: {
            histogram: {
              bounds: [0.05, 0.1, 0.25, 0.5, 1],
              counts: [3, 40, 12, 2, 0, 1],
            },
          },
        },
      ],
    },
    {
      name: 'crashes',
      kind: 'count',
      direction: 'lower-is-better',
      looks: [
        {
          baseline: { events: 3, exposure: 0.95 },
          canary: { events: 5, exposure: 0.05 },
        },
      ],
    },
  ],
} as AnalysisRequest;

function problemsOf(request: unknown): string[] {
  try {
    analyze(request as AnalysisRequest);
  } catch (e) {
    expect(e).toBeInstanceOf(AnalysisInputError);
    return (e as AnalysisInputError).problems;
  }
  throw new Error('expected the request to be refused');
}

const proportion = (looks: unknown[]) => ({
  metrics: [
    { name: 'e', kind: 'proportion', margin: 0.01, critical: true, looks },
  ],
});

describe('analyze', () => {
  it('answers the DESIGN.md example in the documented shape', () => {
    const answer = analyze(designExample);
    expect(answer.looks).toHaveLength(1);
    const [look] = answer.looks;
    expect(['continue', 'promote', 'rollback']).toContain(look.decision);
    expect(typeof look.reason).toBe('string');
    expect(look.metrics.map(m => m.name)).toEqual([
      'error-rate',
      'latency',
      'crashes',
    ]);
    for (const m of look.metrics) {
      expect(['pass', 'fail', 'inconclusive', 'nodata', 'error']).toContain(
        m.verdict,
      );
      expect(m.explanation.length).toBeGreaterThan(20);
    }
    const errorRate = look.metrics[0];
    expect(errorRate.estimate).toBeCloseTo(6 / 520 - 97 / 10000, 12);
    expect(errorRate.interval).toHaveLength(2);
    expect(errorRate.pValue).toBeGreaterThan(0);
    expect(answer.outcome).toEqual({
      decision: look.decision,
      look: 1,
      reason: look.reason,
    });
  });

  it('judges every look and reports the first decision the engine would act on', () => {
    const looks = [1, 2, 3, 4, 5].map(k => ({
      baseline: { count: 20 * k, total: 10000 * k },
      canary: { count: 90 * k, total: 10000 * k },
    }));
    const answer = analyze({
      ...proportion(looks),
      minLooks: 2,
    } as AnalysisRequest);
    expect(answer.looks.map(l => l.look)).toEqual([1, 2, 3, 4, 5]);
    const first = answer.looks.find(l => l.decision === 'rollback')!;
    expect(answer.outcome.decision).toBe('rollback');
    expect(answer.outcome.look).toBe(first.look);
  });

  it('maps stage bounds given in looks: minLooks, maxLooks, minSampleSize', () => {
    const looks = [1, 2, 3].map(k => ({
      baseline: { count: 50 * k, total: 100000 * k },
      canary: { count: 50 * k, total: 100000 * k },
    }));
    const early = analyze({
      ...proportion(looks),
      minLooks: 3,
    } as AnalysisRequest);
    expect(early.looks.map(l => l.decision)).toEqual([
      'continue',
      'continue',
      'promote',
    ]);
    const tooFew = analyze({
      ...proportion(looks),
      minSampleSize: 10 ** 6,
    } as AnalysisRequest);
    expect(tooFew.looks.every(l => l.decision === 'continue')).toBe(true);
    const flat = [1, 2].map(() => ({
      baseline: { count: 5, total: 100 },
      canary: { count: 5, total: 100 },
    }));
    const capped = analyze({
      ...proportion(flat),
      maxLooks: 1,
      inconclusiveAction: 'rollback',
    } as AnalysisRequest);
    expect(capped.outcome).toMatchObject({ decision: 'rollback', look: 1 });
  });

  it('lists every problem of an invalid request', () => {
    expect(
      problemsOf(
        proportion([
          {
            baseline: { count: -1, total: 10 },
            canary: { count: 12, total: 10 },
          },
          {
            baseline: { count: 1, total: 10.5 },
            canary: { count: NaN, total: 10 },
          },
        ]),
      ),
    ).toEqual([
      'metrics[0].looks[0].baseline.count: must be an integer >= 0',
      'metrics[0].looks[0].canary.count: 12 is more than total 10',
      'metrics[0].looks[1].baseline.total: must be an integer >= 0',
      'metrics[0].looks[1].canary.count: must be an integer >= 0',
    ]);
  });

  it('refuses decreasing cumulative values', () => {
    expect(
      problemsOf(
        proportion([
          {
            baseline: { count: 5, total: 100 },
            canary: { count: 5, total: 100 },
          },
          {
            baseline: { count: 4, total: 200 },
            canary: { count: 5, total: 90 },
          },
        ]),
      ),
    ).toEqual([
      'metrics[0].looks[1].baseline.count: cumulative values cannot decrease (5 before, 4 now)',
      'metrics[0].looks[1].canary.total: cumulative values cannot decrease (100 before, 90 now)',
    ]);
    const counts = {
      metrics: [
        {
          name: 'c',
          kind: 'count',
          looks: [
            { canary: { events: 3, exposure: 1 } },
            {
              canary: { events: 2, exposure: 2 },
              baseline: { events: 1, exposure: 0 },
            },
          ],
        },
      ],
    };
    expect(problemsOf(counts)).toEqual([
      'metrics[0].looks[1].baseline.exposure: events without exposure',
      'metrics[0].looks[1].canary.events: cumulative values cannot decrease (3 before, 2 now)',
    ]);
  });

  it('refuses histograms whose buckets do not match', () => {
    const histogram = (bounds: number[], counts: number[]) => ({
      histogram: { bounds, counts },
    });
    const request = {
      metrics: [
        {
          name: 'latency',
          kind: 'distribution',
          margin: 0.1,
          looks: [
            {
              canary: histogram([0.1, 0.2], [1, 2]),
              baseline: histogram([0.1, 0.2], [1, 2, 3]),
            },
            { baseline: histogram([0.1, 0.3], [1, 2, 3]) },
            {
              baseline: histogram([0.1, 0.2], [0, 2, 3]),
              canary: {
                samples: [1],
                histogram: histogram([1], [1, 1]).histogram,
              },
            },
          ],
        },
      ],
    };
    expect(problemsOf(request)).toEqual([
      'metrics[0].looks[0].canary.histogram: needs one more count than bounds (the last bucket is open), got 2 bounds and 2 counts',
      "metrics[0].looks[1].baseline.histogram.bounds: differ from the previous look's buckets",
      'metrics[0].looks[2].baseline.histogram.counts[0]: cumulative counts cannot decrease (1 before, 0 now)',
      'metrics[0].looks[2].canary: give either samples or histogram',
    ]);
  });

  it('refuses non-finite numbers, unequal look counts and bad settings', () => {
    const request = {
      alpha: 0.7,
      maxLooks: 0,
      noDataAction: 'ignore',
      metrics: [
        { name: 'e', kind: 'proportion', margin: 0.01, looks: [{}, {}] },
        {
          name: 'l',
          kind: 'distribution',
          looks: [{ canary: { samples: [0.1, Infinity] } }],
        },
        {
          name: 'g',
          kind: 'gauge',
          max: 1,
          looks: [{ canary: { value: '3' } }, {}],
        },
      ],
    };
    expect(problemsOf(request)).toEqual([
      'alpha: must be a number in (0, 0.5)',
      'maxLooks: must be an integer >= 1',
      'noDataAction: must be pause or rollback',
      'metrics[1].looks: every metric needs the same number of looks (2), got 1',
      'metrics[1].looks[0].canary.samples[1]: must be a finite number >= 0, got Infinity',
      'metrics[2].looks[0].canary.value: must be a finite number',
    ]);
    expect(problemsOf({ metrics: [] })).toEqual([
      'metrics: at least one metric is needed',
    ]);
    expect(problemsOf(null)).toEqual(['the request must be a JSON object']);
    expect(
      problemsOf({ metrics: [{ name: 'x', kind: 'ratio', looks: [] }] }),
    ).toEqual([
      'metrics[0].kind: must be one of proportion, count, distribution, gauge',
    ]);
  });

  it('refuses requests beyond the documented limits', () => {
    const many = Array.from(
      { length: ANALYSIS_LIMITS.maxMetrics + 1 },
      (_, i) => ({
        name: `m${i}`,
        kind: 'gauge',
        looks: [{}],
      }),
    );
    expect(problemsOf({ metrics: many })[0]).toBe(
      `metrics: at most ${ANALYSIS_LIMITS.maxMetrics} metrics, got ${
        ANALYSIS_LIMITS.maxMetrics + 1
      }`,
    );
    const samples = new Array(ANALYSIS_LIMITS.maxSamplesPerArm + 1).fill(0.1);
    expect(
      problemsOf({
        metrics: [
          { name: 'l', kind: 'distribution', looks: [{ canary: { samples } }] },
        ],
      }),
    ).toEqual([
      `metrics[0].looks[0].canary.samples: at most ${ANALYSIS_LIMITS.maxSamplesPerArm} values per arm and look, got ${samples.length}`,
    ]);
    const looks = new Array(ANALYSIS_LIMITS.maxLooks + 1).fill({});
    expect(
      problemsOf({ metrics: [{ name: 'g', kind: 'gauge', looks }] }),
    ).toEqual([
      `metrics[0].looks: at most ${ANALYSIS_LIMITS.maxLooks} looks, got ${looks.length}`,
    ]);
    const big = new Array(ANALYSIS_LIMITS.maxSamplesPerArm).fill(0.1);
    const heavy = Array.from({ length: 11 }, () => ({
      canary: { samples: big },
      baseline: { samples: big },
    }));
    expect(
      problemsOf({
        metrics: [{ name: 'l', kind: 'distribution', looks: heavy }],
      }),
    ).toEqual([
      `the request holds 2200000 values and buckets, more than ${ANALYSIS_LIMITS.maxTotalValues}`,
    ]);
  });

  it('refuses unknown fields at every level, by kind', () => {
    const request = {
      alhpa: 0.05,
      metrics: [
        {
          name: 'e',
          kind: 'proportion',
          margin: 0.01,
          critcal: true,
          quantiles: [0.5],
          looks: [
            {
              baseline: { count: 1, total: 10, value: 3 },
              canary: { count: 1, total: 10 },
              margn: 0.1,
            },
          ],
        },
        {
          name: 'l',
          kind: 'distribution',
          unit: 'x'.repeat(101),
          looks: [
            {
              canary: {
                histogram: { bounds: [1], counts: [1, 1], 'a b': 1 },
              },
            },
          ],
        },
      ],
    };
    expect(problemsOf(request)).toEqual([
      'alhpa: not a field of the request (alpha, metrics, minLooks, maxLooks, minSampleSize, inconclusiveAction, noDataAction, maxConsecutiveNoData)',
      'metrics[0].critcal: not a field of a proportion metric (name, kind, direction, critical, margin, rollbackMargin, maxRate, maxRatio, looks)',
      'metrics[0].quantiles: not a field of a proportion metric (name, kind, direction, critical, margin, rollbackMargin, maxRate, maxRatio, looks)',
      'metrics[1].unit: must be a string of at most 100 characters',
      'metrics[0].looks[0].margn: not a field of a look (baseline, canary)',
      "metrics[0].looks[0].baseline.value: not a field of a proportion metric's arm (count, total)",
      'metrics[1].looks[0].canary.histogram["a b"]: not a field of a histogram (bounds, counts)',
    ]);
  });

  it('lists the first problems and counts the others, quoting values short', () => {
    const counts = new Array(1000).fill('x'.repeat(1000));
    let error: AnalysisInputError | undefined;
    try {
      analyze({
        metrics: [
          {
            name: 'l',
            kind: 'distribution',
            looks: [
              {
                canary: {
                  histogram: {
                    bounds: Array.from({ length: 999 }, (_, i) => i + 1),
                    counts,
                  },
                },
              },
            ],
          },
        ],
      } as unknown as AnalysisRequest);
    } catch (e) {
      error = e as AnalysisInputError;
    }
    expect(error?.problems).toHaveLength(ANALYSIS_LIMITS.maxProblems);
    expect(error?.problems[0]).toBe(
      `metrics[0].looks[0].canary.histogram.counts[0]: must be an integer >= 0, got "${'x'.repeat(
        80,
      )}…"`,
    );
    expect(error?.unlisted).toBe(1000 - ANALYSIS_LIMITS.maxProblems);
    const many = new Array(1000).fill(-1);
    try {
      analyze({
        metrics: [
          {
            name: 'l',
            kind: 'distribution',
            looks: [
              {
                canary: {
                  histogram: { bounds: many.slice(1), counts: many },
                },
              },
            ],
          },
        ],
      } as unknown as AnalysisRequest);
    } catch (e) {
      error = e as AnalysisInputError;
    }
    expect(error?.problems).toHaveLength(ANALYSIS_LIMITS.maxProblems);
    expect(error?.problems[0]).toBe(
      'metrics[0].looks[0].canary.histogram.bounds[0]: must be a finite number >= 0, got -1',
    );
    expect(error?.unlisted).toBe(999 + 1000 - ANALYSIS_LIMITS.maxProblems);
    expect(error?.message).toMatch(/; … and 1979 more$/);
    expect(
      problemsOf({
        metrics: [
          {
            name: 'l',
            kind: 'distribution',
            looks: [{ canary: { samples: [1, 'y'.repeat(1000), [[1]]] } }],
          },
        ],
      }),
    ).toEqual([
      `metrics[0].looks[0].canary.samples[1]: must be a finite number >= 0, got "${'y'.repeat(
        80,
      )}…"`,
    ]);
  });

  it('parses requests, refusing nesting deeper than a request has and text that is not JSON', () => {
    const text = JSON.stringify(designExample);
    expect(parseAnalysisRequest(text)).toEqual(designExample);
    // Brackets and quotes inside strings are not nesting.
    const tricky = { a: '[[[[[[[[[["{{{{{{{{{\\', b: ['}}}'] };
    expect(parseAnalysisRequest(JSON.stringify(tricky))).toEqual(tricky);
    const deep = (depth: number) =>
      `{"metrics":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(parseAnalysisRequest(deep(ANALYSIS_LIMITS.maxDepth))).toBeDefined();
    expect(() =>
      parseAnalysisRequest(deep(ANALYSIS_LIMITS.maxDepth + 1)),
    ).toThrow(
      'the request nests arrays and objects deeper than 8 levels (at character 18)',
    );
    expect(() => parseAnalysisRequest(deep(1_000_000))).toThrow(
      AnalysisInputError,
    );
    expect(() => parseAnalysisRequest(`{"a": ${'1'.repeat(500)}x`)).toThrow(
      /^invalid analysis input: the request is not valid JSON: ".{1,80}…?"$/,
    );
  });
});
