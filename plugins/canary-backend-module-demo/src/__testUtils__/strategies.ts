/**
 * A compressed strategy for the demo workload: stages of 10, 30 and 60 %, judged on the error rate
 * and the latency (watched for regressions). A latency ceiling only where a test is about it.
 */
export function threeStageStrategy(options: {
  minDuration: string;
  /** Room for a loaded machine: the judge promotes a stage as soon as it can after its minimum. */
  maxDuration: string;
  interval: string;
  minRequestsPerLook: number;
  maxConsecutiveNoData?: number;
  /** Roll back once the canary's latency quantiles are shown above this. */
  latencyCeilingMs?: number;
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
        {
          name: 'latency',
          kind: 'distribution',
          critical: true,
          unit: 's',
          ...(options.latencyCeilingMs !== undefined && {
            max: options.latencyCeilingMs / 1000,
          }),
        },
      ],
      ...(options.maxConsecutiveNoData !== undefined && {
        maxConsecutiveNoData: options.maxConsecutiveNoData,
      }),
    },
  };
}
