import type {
  MetricDefinition,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { makeRollout } from '../../__testUtils__/fixtures';
import { referencesFor } from './references';
import type { ChartReference, Point } from './TimeSeriesChart';

const baseline: Point[] = [
  { at: '2026-01-01T00:00:00Z', stageIndex: 0, value: 0.01 },
  { at: '2026-01-01T00:01:00Z', stageIndex: 0, value: null },
  { at: '2026-01-01T00:02:00Z', stageIndex: 0, value: 0.2 },
];

function withMetrics(metrics: MetricDefinition[]): Strategy {
  const { strategy } = makeRollout();
  return { ...strategy, analysis: { ...strategy.analysis, metrics } };
}

/** Each line as what a reader sees: its label, and its fixed value or the values it follows. */
function lines(references: ChartReference[]) {
  return references.map(r => ({
    kind: r.kind,
    label: r.label,
    value: r.value ?? r.points?.map(p => p.value),
  }));
}

describe('referencesFor', () => {
  const strategy = withMetrics([
    {
      name: 'error-rate',
      kind: 'proportion',
      margin: 0.005,
      maxRate: 0.05,
      maxRatio: 2,
      critical: true,
    },
    {
      name: 'latency',
      kind: 'distribution',
      margin: 0.1,
      max: 2,
      quantiles: [0.5, 0.95],
      unit: 's',
      critical: true,
    },
  ]);

  it("draws the error rate's margin above the baseline, its ceiling and its multiple of the baseline", () => {
    const references = lines(referencesFor('error-rate', baseline, strategy));
    expect(references).toHaveLength(3);
    expect(references[0]).toMatchObject({
      kind: 'margin',
      label: 'non-inferiority margin: baseline +0.50 pts',
    });
    expect(references[0].value).toEqual([
      expect.closeTo(0.015),
      null,
      expect.closeTo(0.205),
    ]);
    expect(references).toContainEqual({
      kind: 'rollback',
      label: 'rollback ceiling',
      value: 0.05,
    });
    expect(references).toContainEqual({
      kind: 'rollback',
      label: 'rollback ceiling: 2x baseline',
      value: [0.02, null, 0.4],
    });
  });

  it('draws the latency margin and ceiling on the watched quantiles only', () => {
    for (const series of ['latency-p50', 'latency-p95']) {
      const references = lines(referencesFor(series, baseline, strategy));
      expect(references).toHaveLength(2);
      expect(references[0]).toMatchObject({
        kind: 'margin',
        label: 'non-inferiority margin: baseline +10.0 %',
      });
      expect(references[0].value).toEqual([
        expect.closeTo(0.011),
        null,
        expect.closeTo(0.22),
      ]);
      expect(references[1]).toEqual({
        kind: 'rollback',
        label: 'rollback ceiling',
        value: 2,
      });
    }
    expect(referencesFor('latency-p99', baseline, strategy)).toEqual([]);
    expect(referencesFor('requests', baseline, strategy)).toEqual([]);
  });

  it('draws a rollback margin, and no ceiling below the baseline of a higher-is-better metric', () => {
    const references = lines(
      referencesFor(
        'error-rate',
        baseline,
        withMetrics([
          {
            name: 'error-rate',
            kind: 'proportion',
            direction: 'higher-is-better',
            margin: 0.005,
            rollbackMargin: 0.01,
            maxRate: 0.05,
          },
        ]),
      ),
    );
    expect(references.map(r => r.label)).toEqual([
      'non-inferiority margin: baseline -0.50 pts',
      'rollback margin: baseline -1.00 pts',
    ]);
    expect(references[1].value).toEqual([
      expect.closeTo(0),
      null,
      expect.closeTo(0.19),
    ]);
  });

  it('draws nothing for a metric the strategy does not judge', () => {
    expect(referencesFor('latency-p95', baseline, withMetrics([]))).toEqual([]);
    expect(referencesFor('error-rate', baseline, withMetrics([]))).toEqual([]);
  });
});
