import {
  judgeLook,
  mannWhitneyU,
  normalSf,
  twoProportionZTest,
  type JudgeConfig,
  type JudgeState,
  type MetricDefinition,
  type MetricLookData,
} from '../src';
import { Sampler } from './random';

/**
 * Simulated stages, checked at every look: identical versions (A/A) and canaries that regress by
 * twice the margin. Our judge runs at its defaults (alpha 0.05); on the same data, the tests it
 * replaces run at every look too: a fixed-horizon z-test, and Mann-Whitney on per-look values with
 * a growing window (Kayenta's pattern), both two-sided at 0.05, "canary worse".
 */

export interface SimulationOptions {
  runs: number;
  looks: number;
  seed: number;
}

/** The three metrics simulated, with the sizes of one look. */
const SETUP = {
  errorRate: { requestsPerArm: 2000, rate: 0.01, margin: 0.002 },
  latency: { samplesPerArm: 4000, medianSeconds: 0.1, sigma: 0.5, margin: 0.1 },
  crashes: { eventsPerLook: 40, canaryShare: 0.05, margin: 0.5 },
};

const definitions: Record<
  'errorRate' | 'latency' | 'crashes',
  MetricDefinition
> = {
  errorRate: {
    name: 'error-rate',
    kind: 'proportion',
    margin: SETUP.errorRate.margin,
    critical: true,
  },
  latency: {
    name: 'latency',
    kind: 'distribution',
    margin: SETUP.latency.margin,
    critical: true,
    unit: 's',
  },
  crashes: {
    name: 'crashes',
    kind: 'count',
    margin: SETUP.crashes.margin,
    critical: true,
  },
};
type MetricKey = keyof typeof definitions;
const KEYS: MetricKey[] = ['errorRate', 'latency', 'crashes'];

/** Log-spaced latency buckets, 1 % wide, from 1 ms: fine enough for a 10 % margin. */
const GROWTH = 1.01;
const BUCKETS = 1200;
const BOUNDS = Array.from(
  { length: BUCKETS },
  (_, i) => 0.001 * GROWTH ** (i + 1),
);
const bucketOf = (seconds: number) =>
  Math.min(
    BUCKETS,
    Math.max(0, Math.ceil(Math.log(seconds / 0.001) / Math.log(GROWTH)) - 1),
  );

interface Outcome {
  /** First look at which each procedure called a regression (rollback), if any. */
  judge?: number;
  judgePromote?: number;
  zEveryLook?: number;
  zLastLookOnly: boolean;
  mwEveryLook?: number;
}

const stage = {
  minDurationReached: true,
  minSampleSizeReached: true,
  maxDurationReached: false,
};

/** One simulated stage: all three metrics; `regress` multiplies each effect by twice its margin. */
function simulateStage(
  sampler: Sampler,
  looks: number,
  regress: boolean,
): { single: Record<MetricKey, Outcome>; combined?: number } {
  const errors = { canary: 0, baseline: 0, requests: 0 };
  const latency = {
    canary: new Array(BUCKETS + 1).fill(0),
    baseline: new Array(BUCKETS + 1).fill(0),
  };
  const crashes = { canary: 0, baseline: 0, exposure: 0 };
  const perLook: Record<MetricKey, { canary: number[]; baseline: number[] }> = {
    errorRate: { canary: [], baseline: [] },
    latency: { canary: [], baseline: [] },
    crashes: { canary: [], baseline: [] },
  };
  const outcomes = Object.fromEntries(
    KEYS.map(k => [k, { zLastLookOnly: false } as Outcome]),
  ) as Record<MetricKey, Outcome>;
  const states: Partial<Record<MetricKey | 'all', JudgeState>> = {};
  let combined: number | undefined;

  for (let look = 1; look <= looks; look++) {
    // Error rate: binomial requests per arm.
    const { requestsPerArm, rate } = SETUP.errorRate;
    const canaryRate = rate + (regress ? 2 * SETUP.errorRate.margin : 0);
    const newCanary = sampler.binomial(requestsPerArm, canaryRate);
    const newBaseline = sampler.binomial(requestsPerArm, rate);
    errors.canary += newCanary;
    errors.baseline += newBaseline;
    errors.requests += requestsPerArm;
    perLook.errorRate.canary.push(newCanary / requestsPerArm);
    perLook.errorRate.baseline.push(newBaseline / requestsPerArm);

    // Latency: log-normal, the canary slower by twice the margin at every quantile.
    const { samplesPerArm, medianSeconds, sigma } = SETUP.latency;
    const scale = regress ? 1 + 2 * SETUP.latency.margin : 1;
    for (const arm of ['canary', 'baseline'] as const) {
      let sum = 0;
      const median = medianSeconds * (arm === 'canary' ? scale : 1);
      for (let i = 0; i < samplesPerArm; i++) {
        const value = median * Math.exp(sigma * sampler.normal());
        latency[arm][bucketOf(value)]++;
        sum += value;
      }
      perLook.latency[arm].push(sum / samplesPerArm);
    }

    // Crashes: Poisson events, the canary at 5 % of the traffic, its rate doubled by a regression.
    const { eventsPerLook, canaryShare } = SETUP.crashes;
    const ratio = regress ? 1 + 2 * SETUP.crashes.margin : 1;
    const canaryEvents = sampler.poisson(eventsPerLook * canaryShare * ratio);
    const baselineEvents = sampler.poisson(eventsPerLook * (1 - canaryShare));
    crashes.canary += canaryEvents;
    crashes.baseline += baselineEvents;
    crashes.exposure += 1;
    perLook.crashes.canary.push(canaryEvents / canaryShare);
    perLook.crashes.baseline.push(baselineEvents / (1 - canaryShare));

    const data: Record<MetricKey, MetricLookData> = {
      errorRate: {
        canary: { count: errors.canary, total: errors.requests },
        baseline: { count: errors.baseline, total: errors.requests },
      },
      latency: {
        canary: { histogram: { bounds: BOUNDS, counts: latency.canary } },
        baseline: { histogram: { bounds: BOUNDS, counts: latency.baseline } },
      },
      crashes: {
        canary: {
          events: crashes.canary,
          exposure: crashes.exposure * canaryShare,
        },
        baseline: {
          events: crashes.baseline,
          exposure: crashes.exposure * (1 - canaryShare),
        },
      },
    };

    for (const key of KEYS) {
      const outcome = outcomes[key];
      const config: JudgeConfig = { metrics: [definitions[key]] };
      const result = judgeLook(
        config,
        { metrics: { [definitions[key].name]: data[key] }, ...stage },
        states[key],
      );
      states[key] = result.state;
      if (result.decision === 'rollback') outcome.judge ??= look;
      if (result.decision === 'promote') outcome.judgePromote ??= look;

      const z = fixedHorizonZ(key, errors, crashes);
      if (z !== undefined) {
        const worse = z > 0 && 2 * normalSf(z) < 0.05;
        if (worse) outcome.zEveryLook ??= look;
        if (look === looks) outcome.zLastLookOnly = worse;
      }
      if (look >= 2) {
        const mw = mannWhitneyU(perLook[key].canary, perLook[key].baseline, {
          method: 'asymptotic',
        });
        if (mw.u1 > mw.u2 && mw.pValue < 0.05) outcome.mwEveryLook ??= look;
      }
    }
    if (!regress) {
      // All three metrics together: alpha is split across the critical ones.
      const result = judgeLook(
        { metrics: KEYS.map(k => definitions[k]) },
        {
          metrics: Object.fromEntries(
            KEYS.map(k => [definitions[k].name, data[k]]),
          ),
          ...stage,
        },
        states.all,
      );
      states.all = result.state;
      if (result.decision === 'rollback') combined ??= look;
    }
  }
  return { single: outcomes, combined };
}

/** The fixed-horizon test of a look: pooled two-proportion z, or the conditional Poisson z. */
function fixedHorizonZ(
  key: MetricKey,
  errors: { canary: number; baseline: number; requests: number },
  crashes: { canary: number; baseline: number },
): number | undefined {
  if (key === 'errorRate') {
    return twoProportionZTest(
      errors.canary,
      errors.requests,
      errors.baseline,
      errors.requests,
    ).z;
  }
  if (key === 'crashes') {
    const total = crashes.canary + crashes.baseline;
    const share = SETUP.crashes.canaryShare;
    if (total === 0) return undefined;
    return (
      (crashes.canary - total * share) / Math.sqrt(total * share * (1 - share))
    );
  }
  return undefined;
}

export interface ScenarioRow {
  metric: string;
  scenario: 'A/A' | 'regression 2x margin';
  judgeRate: number;
  judgeMedianLook?: number;
  judgePromoteRate: number;
  judgePromoteMedianLook?: number;
  zEveryLookRate?: number;
  zLastLookRate?: number;
  mwEveryLookRate: number;
}

export interface SimulationReport {
  rows: ScenarioRow[];
  /** A/A false rollback rate of the judge over all three metrics at once. */
  combinedFalseRollback: number;
}

function medianLook(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function runSimulation(options: SimulationOptions): SimulationReport {
  const rows: ScenarioRow[] = [];
  let combinedRollbacks = 0;
  for (const regress of [false, true]) {
    const sampler = new Sampler(options.seed + (regress ? 1 : 0));
    const outcomes: Record<MetricKey, Outcome[]> = {
      errorRate: [],
      latency: [],
      crashes: [],
    };
    for (let run = 0; run < options.runs; run++) {
      const stageOutcome = simulateStage(sampler, options.looks, regress);
      for (const key of KEYS) outcomes[key].push(stageOutcome.single[key]);
      if (!regress && stageOutcome.combined !== undefined) combinedRollbacks++;
    }
    for (const key of KEYS) {
      const list = outcomes[key];
      const rate = (pick: (o: Outcome) => boolean) =>
        list.filter(pick).length / list.length;
      const hasZ = key !== 'latency';
      rows.push({
        metric: definitions[key].name,
        scenario: regress ? 'regression 2x margin' : 'A/A',
        judgeRate: rate(o => o.judge !== undefined),
        judgeMedianLook: medianLook(
          list.flatMap(o => (o.judge === undefined ? [] : [o.judge])),
        ),
        judgePromoteRate: rate(o => o.judgePromote !== undefined),
        judgePromoteMedianLook: medianLook(
          list.flatMap(o =>
            o.judgePromote === undefined ? [] : [o.judgePromote],
          ),
        ),
        zEveryLookRate: hasZ
          ? rate(o => o.zEveryLook !== undefined)
          : undefined,
        zLastLookRate: hasZ ? rate(o => o.zLastLookOnly) : undefined,
        mwEveryLookRate: rate(o => o.mwEveryLook !== undefined),
      });
    }
  }
  return { rows, combinedFalseRollback: combinedRollbacks / options.runs };
}

export const SIMULATION_SETUP = SETUP;
