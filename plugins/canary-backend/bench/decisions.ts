import {
  Phase,
  Strategy,
  wilsonInterval,
} from '@canary-release/backstage-plugin-canary-common';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
// The repo's yaml (hoisted to the root node_modules), only to read app-config.yaml.
// eslint-disable-next-line @backstage/no-undeclared-imports
import { parse as parseYaml } from 'yaml';
import { parse } from '../src/api/schemas';
import { decide } from '../src/engine/decide';
import type {
  ActualState,
  Observations,
  RolloutRecord,
} from '../src/engine/types';
import {
  BUILT_IN_STRATEGY,
  resolveStrategy,
  strategyInputSchema,
} from '../src/strategy/strategy';
import {
  BUCKETS,
  LATENCY_MEDIAN_S,
  LATENCY_SIGMA,
  SCENARIOS,
  Scenario,
  TrafficSimulator,
  harmOf,
  isWorse,
} from './decisionScenarios';
import { argument, print, table } from './common';
import {
  T0 as START,
  makeRollout,
  worldOf as stageWorldOf,
} from '../src/engine/testRollout';

/**
 * Product-level benchmark of the decisions the engine takes: `yarn bench:decisions` (root or
 * plugins/canary-backend), i.e.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/decisions.ts [--runs N] [--seed S]
 *     [--only <substring of a scenario name>] [--config app-config.yaml] [--workers N]
 * For each shipped strategy (`canary.defaults` of app-config.yaml, and its `demo` preset) and each
 * scenario of bench/decisionScenarios.ts, it drives whole rollouts through the engine's pure core
 * `decide` on simulated traffic, and reports how often they roll back, promote or pause, how fast,
 * how many bad requests the canary served first, and whether the scenario's target is met.
 */

/**
 * Runs per scenario. Most of the time goes to the null scenarios that run through every stage of
 * the shipped default (210 looks, ~0.5 ms per look, ~1 ms with fine buckets): 300 runs took 85 s
 * of wall time on this 2-core machine (2 workers, the machine partly busy), leaving room within
 * 5 minutes for a slower judge or longer runs; and a false-rollback target of 1 % is then judged
 * on 300 runs (up to 3 false rollbacks), not a handful.
 */
const DEFAULT_RUNS = 300;
const RUNS = Number(argument('runs', String(DEFAULT_RUNS)));
const SEED = Number(argument('seed', '1'));
const ONLY = argument('only', '');
/** The app-config to read the strategies from (the repo's by default). */
const CONFIG = argument(
  'config',
  path.resolve(__dirname, '../../../app-config.yaml'),
);
/** Worker threads running scenarios side by side; 1 runs them in this thread. */
const WORKERS = Number(argument('workers', String(os.availableParallelism())));
/** Traffic of the shipped default's scenarios (both arms), and of the demo when unconfigured. */
const DEFAULT_RPS = 50;
const DEMO_FALLBACK_RPS = 100;

// ---------------------------------------------------------------------------------------------
// Strategies, resolved from app-config.yaml as the backend plugin does (src/plugin.ts)
// ---------------------------------------------------------------------------------------------

interface BenchStrategy {
  name: string;
  strategy: Strategy;
  requestsPerSecond: number;
  /** Whether a scenario runs with this strategy. */
  includes(scenario: Scenario): boolean;
}

function loadStrategies(): BenchStrategy[] {
  const canary = parseYaml(fs.readFileSync(CONFIG, 'utf8'))?.canary ?? {};
  const defaults = resolveStrategy(
    BUILT_IN_STRATEGY,
    parse(
      strategyInputSchema,
      canary.defaults ?? {},
      `canary.defaults in ${CONFIG}`,
    ),
  );
  const demo = resolveStrategy(
    defaults,
    parse(
      strategyInputSchema,
      canary.presets?.demo ?? {},
      `canary.presets.demo in ${CONFIG}`,
    ),
  );
  return [
    {
      name: 'shipped default (canary.defaults)',
      strategy: defaults,
      requestsPerSecond: DEFAULT_RPS,
      includes: () => true,
    },
    {
      name: 'demo preset (canary.presets.demo)',
      strategy: demo,
      requestsPerSecond: Number(
        canary.demo?.requestsPerSecond ?? DEMO_FALLBACK_RPS,
      ),
      includes: scenario => scenario.demo === true,
    },
  ];
}

/** The strategy with a critical conversion guardrail appended to its metrics. */
function withConversion(strategy: Strategy): Strategy {
  const conversion = parse(
    strategyInputSchema,
    {
      analysis: {
        metrics: [
          {
            name: 'conversion',
            kind: 'proportion',
            direction: 'higher-is-better',
            margin: 0.01,
            critical: true,
          },
        ],
      },
    },
    'the conversion metric',
  ).analysis!.metrics!;
  return resolveStrategy(strategy, {
    analysis: { metrics: [...strategy.analysis.metrics, ...conversion] },
  } as Parameters<typeof resolveStrategy>[1]);
}

function describeStrategy(bench: BenchStrategy): string[] {
  const s = bench.strategy;
  const minutes = (ms: number) =>
    ms >= 60_000 ? `${ms / 60_000}m` : `${ms / 1000}s`;
  const stages = s.stages
    .map(
      st =>
        `${st.weight} % for ${minutes(st.minDurationMs)}-${minutes(
          st.maxDurationMs,
        )}`,
    )
    .join(', ');
  // Printed as configured, whatever fields the strategy's version has (threshold rules or not).
  const { metrics, intervalMs, alpha, ...rest } = s.analysis;
  return [
    `Stages: ${stages}. Look every ${minutes(intervalMs)}, alpha ${alpha}.`,
    `Analysis: ${JSON.stringify(rest)}`,
    ...metrics.map(metric => `Metric: ${JSON.stringify(metric)}`),
    `Traffic: ${bench.requestsPerSecond} requests/s in total unless the scenario says otherwise.`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Driver: one rollout through `decide`, the world converging at once
// ---------------------------------------------------------------------------------------------

type Outcome = 'rollback' | 'promote' | 'pause' | 'cap' | 'other';

interface RunResult {
  outcome: Outcome;
  /** Looks taken until the run's final decision. */
  looks: number;
  /** Bad requests the canary served up to the end of the run (see harmOf). */
  harm: number;
  /**
   * The canary had served worse than the baseline by the end of the run. A regression's rollback
   * before that (e.g. in the good half of good-then-bad) is a false rollback, not a detection.
   */
  turnedBad: boolean;
  /** The phase a run classified as 'other' ended in, or the error that ended it. */
  detail?: string;
}

const T0 = START.getTime();

/** A pending rollout of the engine's tests, with the strategy benchmarked. */
function newRollout(strategy: Strategy): RolloutRecord {
  return makeRollout({ strategy });
}

/** The world once it has done what the rollout asks (routers and workloads act at once here). */
function worldOf(rollout: RolloutRecord): ActualState {
  if (rollout.phase === 'Promoting' || rollout.phase === 'Succeeded') {
    return {
      weights: { stable: 100, canary: 0 },
      workload: { stable: { version: rollout.canaryVersion, ready: true } },
    };
  }
  return stageWorldOf(rollout);
}

function outcomeOf(phase: Phase): Outcome | undefined {
  switch (phase) {
    case 'Pending':
    case 'Progressing':
      return undefined;
    case 'RollingBack':
    case 'RolledBack':
      return 'rollback';
    case 'Promoting':
    case 'Succeeded':
      return 'promote';
    case 'Paused':
    case 'AwaitingApproval':
      return 'pause';
    default:
      return 'other';
  }
}

/** More looks than the stages' maximum durations allow: the engine should have decided by then. */
function lookCap(strategy: Strategy): number {
  const { intervalMs } = strategy.analysis;
  return strategy.stages.reduce(
    (sum, stage) => sum + Math.ceil(stage.maxDurationMs / intervalMs) + 2,
    5,
  );
}

function runOnce(
  strategy: Strategy,
  scenario: Scenario,
  requestsPerSecond: number,
  seed: number,
): RunResult {
  const traffic = new TrafficSimulator(seed, scenario, requestsPerSecond);
  const firstStageMs = strategy.stages[0].minDurationMs;
  const cap = lookCap(strategy);
  let rollout = newRollout(strategy);
  let now = T0;
  let looks = 0;
  let harm = 0;
  let turnedBad = false;
  let canaryStart: number | undefined;
  let windowStart = T0;

  const step = (observations: Omit<Observations, 'actual'> = {}) => {
    const decision = decide(
      rollout,
      { actual: worldOf(rollout), ...observations },
      new Date(now),
    );
    if (decision.gate) {
      throw new Error(
        `decide() asked for ${decision.gate.type} webhooks: the bench strategies have none`,
      );
    }
    rollout = decision.rollout;
  };
  // Entering a stage and confirming its weights are separate decisions at the same instant.
  const settle = () => {
    for (let i = 0; i < 3; i++) {
      const waiting =
        rollout.phase === 'Pending' ||
        (rollout.phase === 'Progressing' && !rollout.stageStartedAt);
      if (!waiting) return;
      step();
    }
  };

  try {
    settle();
    for (;;) {
      const outcome = outcomeOf(rollout.phase);
      if (outcome) {
        return {
          outcome,
          looks,
          harm,
          turnedBad,
          detail: outcome === 'other' ? rollout.phase : undefined,
        };
      }
      if (looks >= cap) return { outcome: 'cap', looks, harm, turnedBad };
      if (!rollout.stageStartedAt || !rollout.analysis.nextLookAt) {
        throw new Error(
          `stage ${rollout.stageIndex + 1} did not start on a converged world`,
        );
      }
      const stageStart = Date.parse(rollout.stageStartedAt);
      canaryStart ??= stageStart;
      // Look windows back to back, from the stage's clock on.
      windowStart = Math.max(windowStart, stageStart);
      now = Math.max(Date.parse(rollout.analysis.nextLookAt), windowStart + 1);
      const windowMs = now - windowStart;
      const middle = windowStart + windowMs / 2;
      const behaviour = scenario.canary((middle - canaryStart) / firstStageMs);
      const samples = traffic.look(rollout.weights, windowMs, behaviour);
      harm += harmOf(scenario, samples.canary, behaviour);
      turnedBad ||= isWorse(behaviour, scenario.baseline);
      looks++;
      step({
        look: {
          window: {
            start: new Date(windowStart).toISOString(),
            end: new Date(now).toISOString(),
          },
          ...samples,
        },
      });
      windowStart = now;
      settle();
    }
  } catch (error) {
    return {
      outcome: 'other',
      looks,
      harm,
      turnedBad,
      detail: `error: ${error instanceof Error ? error.message : error}`,
    };
  }
}

/** A 32-bit seed per run from its coordinates, so `--only` reproduces the full bench's runs. */
function runSeed(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const char of parts.join('|')) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  }
  return hash;
}

// ---------------------------------------------------------------------------------------------
// Reporter
// ---------------------------------------------------------------------------------------------

interface ScenarioResult {
  scenario: Scenario;
  runs: RunResult[];
  ms: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const share = (result: ScenarioResult, outcome: Outcome) =>
  result.runs.filter(r => r.outcome === outcome).length;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (x: number | undefined) =>
  x === undefined ? '—' : String(Math.round(x * 10) / 10);

/**
 * The rollbacks that count for the scenario: every rollback of a null scenario (false ones), the
 * detections of a regression (rollbacks once the canary had turned bad), and the rollbacks of a
 * regression before it turned bad (false ones too, e.g. in the good half of good-then-bad).
 */
function rollbacksOf(result: ScenarioResult) {
  const all = result.runs.filter(r => r.outcome === 'rollback');
  const regression = result.scenario.kind === 'regression';
  return {
    all,
    counted: regression ? all.filter(r => r.turnedBad) : all,
    early: regression ? all.filter(r => !r.turnedBad) : [],
  };
}

function resultRow(result: ScenarioResult): string[] {
  const { scenario, runs } = result;
  const n = runs.length;
  const { all, counted, early } = rollbacksOf(result);
  const others = share(result, 'other');
  const badRequests =
    scenario.kind === 'regression' && counted.length > 0
      ? `${Math.round(median(counted.map(r => r.harm))!)} ${scenario.harm}`
      : '—';
  return [
    scenario.name,
    scenario.kind === 'null' ? 'false rollback' : 'detection',
    String(n),
    pct(all.length / n) +
      (early.length > 0 ? ` (${early.length} before it turned bad)` : ''),
    pct(share(result, 'promote') / n),
    pct(share(result, 'pause') / n),
    pct(share(result, 'cap') / n) + (others ? ` (+${others} other)` : ''),
    num(median(runs.map(r => r.looks))),
    num(median(counted.map(r => r.looks))),
    badRequests,
    (result.ms / 1000).toFixed(1),
  ];
}

/** Each target of the scenario with its measured value, e.g. "false rollback 2/100 = 2.0 % ...". */
function targetLines(result: ScenarioResult): string[] {
  const { scenario, runs } = result;
  const { maxFalseRollback, minDetection, maxMedianLooksToRollback } =
    scenario.targets;
  const n = runs.length;
  const { counted } = rollbacksOf(result);
  const rate = (label: string) => {
    const [low, high] = wilsonInterval(counted.length, n, 0.05);
    return `${label} ${counted.length}/${n} = ${pct(
      counted.length / n,
    )} (95 % CI ${pct(low)}–${pct(high)})`;
  };
  const verdict = (met: boolean) => (met ? 'met' : '**NOT MET**');
  const lines: string[] = [];
  if (maxFalseRollback !== undefined) {
    lines.push(
      `${rate('false rollback')}; target ≤ ${pct(maxFalseRollback)}: ${verdict(
        counted.length / n <= maxFalseRollback,
      )}`,
    );
  }
  if (minDetection !== undefined) {
    lines.push(
      `${rate('detection')}; target ≥ ${pct(minDetection)}: ${verdict(
        counted.length / n >= minDetection,
      )}`,
    );
  }
  if (maxMedianLooksToRollback !== undefined) {
    const looks = median(counted.map(r => r.looks));
    lines.push(
      `median looks to rollback ${num(
        looks,
      )}; target ≤ ${maxMedianLooksToRollback}: ${verdict(
        looks !== undefined && looks <= maxMedianLooksToRollback,
      )}`,
    );
  }
  return lines.map(line => `- ${scenario.name}: ${line}`);
}

function report(bench: BenchStrategy, results: ScenarioResult[]) {
  print(`\n## ${bench.name}`);
  describeStrategy(bench).forEach(line => print(line));
  print();
  table(
    [
      'scenario',
      'a rollback is',
      'runs',
      'rollback %',
      'promote %',
      'pause %',
      'cap %',
      'median looks to decision',
      'median looks to rollback',
      'bad requests served before rollback (median)',
      'time (s)',
    ],
    results.map(resultRow),
  );
  print();
  print('Targets:');
  const lines = results.flatMap(targetLines);
  (lines.length > 0 ? lines : ['- none in the scenarios run']).forEach(line =>
    print(line),
  );
  const odd = results.flatMap(r =>
    r.runs
      .filter(run => run.outcome === 'other')
      .slice(0, 1)
      .map(run => `- ${r.scenario.name}: ${run.detail}`),
  );
  if (odd.length > 0) {
    print('\nRuns that ended otherwise (first per scenario):');
    odd.forEach(line => print(line));
  }
  const seconds = results.reduce((sum, r) => sum + r.ms, 0) / 1000;
  print(`\n${bench.name}: ${seconds.toFixed(1)} s of computing`);
}

// ---------------------------------------------------------------------------------------------
// Main: (strategy, scenario) jobs on a pool of worker threads, one per core
// ---------------------------------------------------------------------------------------------

interface Job {
  strategy: number;
  scenario: number;
}

interface JobResult extends Job {
  runs: RunResult[];
  ms: number;
}

function runJob(strategies: BenchStrategy[], job: Job): JobResult {
  const started = performance.now();
  const bench = strategies[job.strategy];
  const scenario = SCENARIOS[job.scenario];
  const strategy = scenario.conversionMetric
    ? withConversion(bench.strategy)
    : bench.strategy;
  const rps = scenario.requestsPerSecond ?? bench.requestsPerSecond;
  const runs = Array.from({ length: RUNS }, (_, i) =>
    runOnce(
      strategy,
      scenario,
      rps,
      runSeed(SEED, bench.name, scenario.name, i),
    ),
  );
  return { ...job, runs, ms: performance.now() - started };
}

/** Runs the jobs on `count` workers, each taking the next job when done (in this thread when 1). */
async function runJobs(
  strategies: BenchStrategy[],
  jobs: Job[],
  count: number,
): Promise<JobResult[]> {
  if (count <= 1) return jobs.map(job => runJob(strategies, job));
  const queue = [...jobs];
  const results: JobResult[] = [];
  const work = () =>
    new Promise<void>((resolve, reject) => {
      // Inherits the -r transform of this thread (execArgv) and reads the same --options.
      const worker = new Worker(__filename, { argv: process.argv.slice(2) });
      const next = () => {
        const job = queue.shift();
        if (job) worker.postMessage(job);
        else worker.terminate().then(() => resolve(), reject);
      };
      worker.on('message', (result: JobResult) => {
        results.push(result);
        next();
      });
      worker.on('error', reject);
      next();
    });
  await Promise.all(Array.from({ length: count }, work));
  return results;
}

function workerMain() {
  const strategies = loadStrategies();
  parentPort!.on('message', (job: Job) =>
    parentPort!.postMessage(runJob(strategies, job)),
  );
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) {
    throw new Error('--runs must be a positive integer');
  }
  const started = performance.now();
  const strategies = loadStrategies();
  const jobs = strategies.flatMap((bench, strategy) =>
    SCENARIOS.flatMap((scenario, index) =>
      bench.includes(scenario) && scenario.name.includes(ONLY)
        ? [{ strategy, scenario: index }]
        : [],
    ),
  );
  if (jobs.length === 0) throw new Error(`No scenario matches "${ONLY}"`);
  const workers = Math.min(WORKERS, jobs.length);
  print('# Decisions of the engine on simulated traffic');
  print(
    `Strategies from ${path.relative(
      process.cwd(),
      CONFIG,
    )}; ${RUNS} runs per scenario, seed ${SEED}${
      ONLY ? `, scenarios matching "${ONLY}"` : ''
    }, ${workers} worker${
      workers === 1 ? '' : 's'
    }. Requests ~ Poisson(rps x interval), split by the rollout's weights (the baseline is the ` +
      `stable fleet); errors and purchases binomial; latency lognormal (median ${
        LATENCY_MEDIAN_S * 1000
      } ms, sigma ${LATENCY_SIGMA}), the canary's scaled by the scenario's factor, in Prometheus' ` +
      `default buckets (${BUCKETS.default.length} bounds) or fine ones (${BUCKETS.fine.length} bounds, 2 % apart, 1 ms-30 s). Conversion 5 % on the baseline. "Bad requests" are the ` +
      `canary's excess errors (over the baseline's rate), its requests served while slow, or its ` +
      `lost purchases, summed over the looks up to the rollback. A regression's rollback counts as a ` +
      `detection once the canary has served worse than the baseline (not in the good half of ` +
      `good-then-bad); looks to rollback and bad requests are medians over the detections. Looks ` +
      `are counted from the first look of stage 1.`,
  );
  const results = await runJobs(strategies, jobs, workers);
  strategies.forEach((bench, strategy) => {
    const ours = results
      .filter(r => r.strategy === strategy)
      .sort((a, b) => a.scenario - b.scenario)
      .map(r => ({ scenario: SCENARIOS[r.scenario], runs: r.runs, ms: r.ms }));
    if (ours.length > 0) report(bench, ours);
  });
  print(
    `\nTotal: ${((performance.now() - started) / 1000).toFixed(1)} s wall time`,
  );
}

if (isMainThread) {
  main().catch(error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  });
} else {
  workerMain();
}
