import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  judgeLook,
  mannWhitneyU,
  type JudgeConfig,
  type JudgeLook,
  type MetricDefinition,
  type MetricLookData,
} from '../src';
import { Sampler } from './random';

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export interface MannWhitneySpeed {
  n: number;
  repeats: number;
  oursMs: number[];
  oursMedianMs: number;
  oursPValue: number;
  scipy?: {
    python: string;
    version: string;
    medianMs: number;
    pValue: number;
    timesMs: number[];
  };
  scipyProblem?: string;
}

/**
 * scipy.stats.mannwhitneyu on the very same arrays (written to temporary files), timed in the same
 * run. Tries SCIPY_PYTHON, Debian's /usr/bin/python3 (python3-scipy), then python3 on PATH.
 */
const SCIPY_SCRIPT = `
import json, sys, time
import numpy as np, scipy
from scipy.stats import mannwhitneyu
x = np.fromfile(sys.argv[1], dtype='<f8'); y = np.fromfile(sys.argv[2], dtype='<f8')
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); r = mannwhitneyu(x, y, alternative='two-sided', method='asymptotic'); times.append((time.perf_counter() - t) * 1000)
print(json.dumps({'version': scipy.__version__, 'python': sys.executable, 'times': times, 'p': float(r.pvalue)}))
`;

function runScipy(
  xPath: string,
  yPath: string,
  repeats: number,
): MannWhitneySpeed['scipy'] | string {
  const candidates = [
    process.env.SCIPY_PYTHON,
    '/usr/bin/python3',
    'python3',
  ].filter((c): c is string => Boolean(c));
  const failures: string[] = [];
  for (const python of candidates) {
    const result = spawnSync(
      python,
      ['-c', SCIPY_SCRIPT, xPath, yPath, String(repeats)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (result.status === 0) {
      const answer = JSON.parse(result.stdout.trim().split('\n').pop()!);
      return {
        python: answer.python,
        version: answer.version,
        timesMs: answer.times,
        medianMs: medianOf(answer.times),
        pValue: answer.p,
      };
    }
    const reason = (result.stderr || String(result.error ?? ''))
      .trim()
      .split('\n')
      .pop();
    failures.push(`${python}: ${reason}`);
  }
  return `scipy not available (${failures.join('; ')})`;
}

export function mannWhitneySpeed(
  n: number,
  repeats: number,
  seed: number,
): MannWhitneySpeed {
  const sampler = new Sampler(seed);
  const x = Float64Array.from({ length: n }, () =>
    Math.exp(0.5 * sampler.normal()),
  );
  const y = Float64Array.from({ length: n }, () =>
    Math.exp(0.5 * sampler.normal() + 0.001),
  );
  let pValue = NaN;
  mannWhitneyU(x, y); // warm-up (JIT)
  const oursMs = Array.from({ length: repeats }, () =>
    time(() => {
      pValue = mannWhitneyU(x, y, { method: 'asymptotic' }).pValue;
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'canary-bench-'));
  try {
    const xPath = join(dir, 'x.f64');
    const yPath = join(dir, 'y.f64');
    writeFileSync(xPath, new Uint8Array(x.buffer));
    writeFileSync(yPath, new Uint8Array(y.buffer));
    const scipy = runScipy(xPath, yPath, repeats);
    return {
      n,
      repeats,
      oursMs,
      oursMedianMs: medianOf(oursMs),
      oursPValue: pValue,
      ...(typeof scipy === 'string' ? { scipyProblem: scipy } : { scipy }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface JudgeSpeed {
  label: string;
  metrics: string;
  repeats: number;
  medianMs: number;
  p90Ms: number;
}

/**
 * One judge look over 10 metrics with `n` observations per arm each, state carried from a previous
 * look. Proportions and counts summarise n trials; histograms hold n observations in 60 buckets;
 * raw samples are n values per arm (order statistics by multi-rank selection, no full sort).
 */
export function judgeSpeed(
  n: number,
  repeats: number,
  seed: number,
): JudgeSpeed[] {
  const sampler = new Sampler(seed);
  const bounds = Array.from({ length: 59 }, (_, i) => 0.005 * 1.12 ** i);
  const histogram = () => {
    const counts = new Array(60).fill(0);
    for (let i = 0; i < n; i++) {
      const v = 0.1 * Math.exp(0.5 * sampler.normal());
      const b = bounds.findIndex(edge => v <= edge);
      counts[b === -1 ? 59 : b]++;
    }
    return { bounds, counts };
  };
  const samples = () =>
    Float64Array.from(
      { length: n },
      () => 0.1 * Math.exp(0.5 * sampler.normal()),
    );
  const proportion = (): MetricLookData => ({
    canary: { count: sampler.binomial(n, 0.01), total: n },
    baseline: { count: sampler.binomial(n, 0.01), total: n },
  });
  const count = (): MetricLookData => ({
    canary: { events: sampler.poisson(n * 0.001), exposure: n },
    baseline: { events: sampler.poisson(n * 0.001), exposure: n },
  });
  const setups: Array<{
    label: string;
    kinds: Array<'proportion' | 'count' | 'histogram' | 'samples'>;
  }> = [
    {
      label:
        'mixed: 4 proportions, 2 counts, 2 histograms, 2 raw-sample distributions',
      kinds: [
        'proportion',
        'proportion',
        'proportion',
        'proportion',
        'count',
        'count',
        'histogram',
        'histogram',
        'samples',
        'samples',
      ],
    },
    {
      label: 'engine-like: 5 proportions, 2 counts, 3 histograms',
      kinds: [
        'proportion',
        'proportion',
        'proportion',
        'proportion',
        'proportion',
        'count',
        'count',
        'histogram',
        'histogram',
        'histogram',
      ],
    },
    {
      label: 'worst case: 10 raw-sample distributions',
      kinds: new Array(10).fill('samples'),
    },
  ];
  return setups.map(({ label, kinds }) => {
    const metrics: MetricDefinition[] = kinds.map((kind, i) => {
      const name = `m${i}`;
      if (kind === 'proportion')
        return { name, kind, margin: 0.002, critical: i === 0 };
      if (kind === 'count') return { name, kind, margin: 0.2 };
      return {
        name,
        kind: 'distribution',
        margin: 0.05,
        quantiles: [0.5, 0.9, 0.99],
      };
    });
    const data: Record<string, MetricLookData> = {};
    kinds.forEach((kind, i) => {
      if (kind === 'proportion') data[`m${i}`] = proportion();
      else if (kind === 'count') data[`m${i}`] = count();
      else if (kind === 'histogram')
        data[`m${i}`] = {
          canary: { histogram: histogram() },
          baseline: { histogram: histogram() },
        };
      else
        data[`m${i}`] = {
          canary: { samples: samples() },
          baseline: { samples: samples() },
        };
    });
    const config: JudgeConfig = { metrics };
    const look: JudgeLook = {
      metrics: data,
      minDurationReached: true,
      minSampleSizeReached: true,
      maxDurationReached: false,
    };
    const previous = judgeLook(config, look).state;
    for (let i = 0; i < 20; i++) judgeLook(config, look, previous); // warm-up
    const times = Array.from({ length: repeats }, () =>
      time(() => judgeLook(config, look, previous)),
    );
    const sorted = [...times].sort((a, b) => a - b);
    return {
      label,
      metrics: kinds.join(', '),
      repeats,
      medianMs: medianOf(times),
      p90Ms: sorted[Math.floor(0.9 * (sorted.length - 1))],
    };
  });
}
