import { runSimulation, SIMULATION_SETUP } from './simulation';
import { judgeSpeed, mannWhitneySpeed } from './speed';

/**
 * Benchmarks of the judge: `yarn bench` in plugins/canary-common, i.e.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/index.ts [--runs N] [--looks N]
 *     [--only simulation|speed] [--seed N]
 * Prints the simulation table (false rollbacks and detection, against the tests it replaces) and
 * the speed figures (Mann-Whitney against scipy in the same run, one judge look).
 */

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const print = (line = '') => process.stdout.write(`${line}\n`);
const pct = (x: number | undefined) =>
  x === undefined ? '-' : `${(100 * x).toFixed(2)} %`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map(r => r[i].length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  print(line(header));
  print(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`);
  rows.forEach(r => print(line(r)));
}

function simulation(runs: number, looks: number, seed: number) {
  print(
    `## Simulation: ${runs} runs per scenario, ${looks} looks, checks at every look (seed ${seed})`,
  );
  const { errorRate, latency, crashes } = SIMULATION_SETUP;
  print(
    `error-rate: ${errorRate.requestsPerArm} requests/arm/look at ${
      errorRate.rate * 100
    } %, margin ${errorRate.margin * 100} points (absolute)`,
  );
  print(
    `latency: ${latency.samplesPerArm} log-normal values/arm/look (median ${
      latency.medianSeconds * 1000
    } ms, sigma ${
      latency.sigma
    }) in 1 % log buckets, quantiles p50/p95, margin ${latency.margin * 100} %`,
  );
  print(
    `crashes: Poisson, ${
      crashes.eventsPerLook
    } events/look expected in all, canary ${
      crashes.canaryShare * 100
    } % of the traffic, margin ${crashes.margin * 100} %`,
  );
  print(
    'judge: defaults (alpha 0.05), one critical metric; regression = canary worse by 2x the margin.',
  );
  print(
    'z-test: pooled two-proportion z (conditional Poisson z for crashes), two-sided 0.05, canary worse.',
  );
  print(
    'Mann-Whitney (Kayenta pattern): per-look values, growing window, asymptotic, two-sided 0.05, canary worse.',
  );
  print();
  const started = performance.now();
  const report = runSimulation({ runs, looks, seed });
  table(
    [
      'metric',
      'scenario',
      'judge rollback rate',
      'median looks to rollback',
      'judge promote rate',
      'median looks to promote',
      'z-test every look',
      'z-test at last look only',
      'Mann-Whitney every look',
    ],
    report.rows.map(r => [
      r.metric,
      r.scenario,
      pct(r.judgeRate),
      r.judgeMedianLook === undefined ? '-' : String(r.judgeMedianLook),
      pct(r.judgePromoteRate),
      r.judgePromoteMedianLook === undefined
        ? '-'
        : String(r.judgePromoteMedianLook),
      pct(r.zEveryLookRate),
      pct(r.zLastLookRate),
      pct(r.mwEveryLookRate),
    ]),
  );
  print();
  print(
    `A/A false rollback of the judge with all three metrics at once (alpha split across them): ${pct(
      report.combinedFalseRollback,
    )}`,
  );
  print(
    `(simulation took ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  print();
}

function speed(seed: number) {
  print('## Speed');
  const mw = mannWhitneySpeed(1_000_000, 7, seed);
  print(
    `Mann-Whitney U, 10^6 vs 10^6 log-normal values, two-sided asymptotic, median of ${mw.repeats} runs:`,
  );
  print(
    `  ours:  ${ms(mw.oursMedianMs)}  (runs: ${mw.oursMs
      .map(t => t.toFixed(0))
      .join(', ')} ms; p = ${mw.oursPValue})`,
  );
  if (mw.scipy) {
    print(
      `  scipy ${mw.scipy.version} (${mw.scipy.python}): ${ms(
        mw.scipy.medianMs,
      )}  (runs: ${mw.scipy.timesMs
        .map(t => t.toFixed(0))
        .join(', ')} ms; p = ${mw.scipy.pValue})`,
    );
    print(
      `  ratio: ours / scipy = ${(mw.oursMedianMs / mw.scipy.medianMs).toFixed(
        3,
      )} (target <= 0.1)`,
    );
  } else {
    print(`  ${mw.scipyProblem}`);
  }
  print();
  print(
    'One judge look over 10 metrics, 10^5 observations per arm each (state carried, median of 200):',
  );
  for (const row of judgeSpeed(100_000, 200, seed)) {
    print(`  ${row.label}: median ${ms(row.medianMs)}, p90 ${ms(row.p90Ms)}`);
  }
  print();
}

const only = argument('only', 'all');
const seed = Number(argument('seed', '20240611'));
print(
  `command: node -r @backstage/cli/config/nodeTransform.cjs bench/index.ts ${process.argv
    .slice(2)
    .join(' ')}`.trim(),
);
print(`node ${process.version}, ${new Date().toISOString()}`);
print();
if (only === 'all' || only === 'simulation') {
  simulation(
    Number(argument('runs', '2000')),
    Number(argument('looks', '50')),
    seed,
  );
}
if (only === 'all' || only === 'speed') speed(seed);
