const OUT_OF_REACH_MS = 600_000;

/**
 * A compressed strategy for the demo workload: stages of 10, 30 and 60 %, judged on the error rate
 * and the latency. A p95 rollback limit only where a test is about latency: looks of a dozen
 * requests on a loaded machine make any p95 rule fire on a scheduling stall now and then.
 */
export function threeStageStrategy(options: {
  minDuration: string;
  /** Room for a loaded machine: the judge promotes a stage as soon as it can after its minimum. */
  maxDuration: string;
  interval: string;
  minRequestsPerLook: number;
  maxConsecutiveNoData?: number;
  /** Roll back when the canary's p95 latency of a look is above this. */
  p95LimitMs?: number;
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
      // The built-in p95 rules (a ratio to stable's p95 among them) are put out of reach.
      thresholds: {
        success: { maxP95Ms: OUT_OF_REACH_MS },
        rollback: {
          maxP95Ms: options.p95LimitMs ?? OUT_OF_REACH_MS,
          maxP95Ratio: 1000,
        },
      },
    },
  };
}
