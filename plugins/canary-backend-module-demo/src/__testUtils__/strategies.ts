/**
 * A compressed strategy for the demo workload: stages of 10, 30 and 60 %, judged on the error rate
 * and the latency. Looks of a few requests make p95 ratios noisy, so the rollback ratio is 3x
 * rather than the default 1.5x, which would flap.
 */
export function threeStageStrategy(options: {
  minDuration: string;
  /** Room for a loaded machine: the judge promotes a stage as soon as it can after its minimum. */
  maxDuration: string;
  interval: string;
  minRequestsPerLook: number;
  maxConsecutiveNoData?: number;
}) {
  const { minDuration, maxDuration, interval, minRequestsPerLook } = options;
  return {
    stages: [10, 30, 60].map(weight => ({ weight, minDuration, maxDuration })),
    analysis: {
      interval,
      minRequestsPerLook,
      minRequestsPerStage: 20,
      metrics: [
        {
          name: 'error-rate',
          kind: 'proportion',
          margin: 0.05,
          critical: true,
        },
        { name: 'latency', kind: 'distribution', critical: true, unit: 's' },
      ],
      ...(options.maxConsecutiveNoData !== undefined && {
        maxConsecutiveNoData: options.maxConsecutiveNoData,
      }),
      // An absolute limit: the healthy demo answers in about a millisecond, so a ratio to the
      // baseline's p95 fires on a scheduling hiccup of the loaded machine; +250 ms does not hide.
      thresholds: { rollback: { maxP95Ms: 150 } },
    },
  };
}
